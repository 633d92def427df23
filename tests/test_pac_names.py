"""Host patterns: every catalog name is accepted; matching follows the catalog's semantics (a
'*' label is one or more labels, a '*' inside a label stays in that label), in Python and in
the PAC file's JavaScript alike; the overlap test never misses an overlap; the tenant's own
names are expanded; JavaScript escaping is total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from _pac_engines import ENGINES, covers, run
from erplan.catalogs import load_catalogs
from erplan.generators.names import comment, js_string, parse_pattern
from erplan.generators.pac import render_pac
from erplan.generators.plan import plan
from erplan.load import load_mapping

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "src" / "erplan" / "catalogs" / "data" / "endpoints_worldwide.json"

LABELS = st.sampled_from(["a", "b", "ab", "cdn", "x-y", "sharepoint", "com", "net", "ba"])
PATTERN_LABELS = st.sampled_from(["a", "b", "*", "a*", "*b", "c*n", "com", "net", "ab"])
HOSTS = st.lists(LABELS, min_size=2, max_size=5).map(".".join)
PATTERNS = st.lists(PATTERN_LABELS, min_size=1, max_size=3).map(
    lambda ls: ".".join([*ls, "ab", "com"])
)


def test_every_catalog_name_is_a_host_pattern() -> None:
    for es in load_catalogs().endpoint_sets:
        for url in es.urls:
            assert parse_pattern(url).text == url.lower()


@settings(max_examples=300, deadline=None)
@given(PATTERNS, HOSTS)
def test_matching_follows_the_catalog(pattern: str, host: str) -> None:
    assert parse_pattern(pattern).matches(host) == covers(pattern, host)


def _fill(pattern: str, data: st.DataObject) -> str:
    """A host the pattern covers: each '*' label one or more labels, each inner '*' a piece."""
    out = []
    for label in pattern.split("."):
        if label == "*":
            out.extend(data.draw(st.lists(LABELS, min_size=1, max_size=2)))
        else:
            pieces = label.split("*")
            fills = [data.draw(st.sampled_from(["", "a", "bc"])) for _ in pieces[1:]]
            joined = pieces[0] + "".join(
                f + piece for f, piece in zip(fills, pieces[1:], strict=True)
            )
            out.append(joined)
    return ".".join(out)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, PATTERNS, st.data())
def test_overlap_is_never_missed(p: str, q: str, data: st.DataObject) -> None:
    a, b = parse_pattern(p), parse_pattern(q)
    host = _fill(p, data)
    assert a.matches(host)
    if b.matches(host):
        assert a.may_overlap(b) and b.may_overlap(a)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_js_string_is_total(text: str) -> None:
    literal = js_string(text)
    assert all(" " <= ch <= "~" for ch in literal)
    assert json.loads(literal) == text
    assert "\n" not in comment(text) and "*/" not in comment(text)
    assert all(" " <= ch <= "~" for ch in comment(text))


def test_wildcards_that_cover_a_top_level_domain_are_refused() -> None:
    for bad in ("*", "*.com", "a.*", "x.*.com", "*.*"):
        try:
            parse_pattern(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    assert parse_pattern("*.co.uk").wildcard
    assert parse_pattern("Outlook.Office365.COM.").text == "outlook.office365.com"


def test_partial_label_exception_in_both_engines(tmp_path: Path) -> None:
    """An internet-only ``cdn*.sharepoint.com`` under the ExpressRoute ``*.sharepoint.com``: the
    PAC file tests it with a regular expression, so its '*' stays inside one label, as in the
    catalog (``shExpMatch`` would let it cross dots)."""
    sets: list[dict[str, Any]] = json.loads(SHIPPED.read_text(encoding="utf-8-sig"))
    for es in sets:
        if es["id"] == 37:
            es["urls"] = [*es["urls"], "cdn*.sharepoint.com"]
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(sets), encoding="utf-8")
    catalogs = load_catalogs(path)
    design = YAML(typ="safe").load((ROOT / "examples" / "g000-proxy-only-pac.yaml").read_text())
    p = plan(load_mapping(design, catalogs=catalogs), catalogs)
    (site,) = p.sites
    pac = render_pac(p, site, "2026-01-01")
    assert "/^cdn[^.]*\\.sharepoint\\.com$/.test(h)" in pac
    proxy = "PROXY 10.1.255.10:8080"
    want = {
        "cdn.sharepoint.com": proxy,
        "cdnx.sharepoint.com": proxy,
        "a.cdnx.sharepoint.com": "DIRECT",  # '*' does not cross a dot
        "cdn.x.sharepoint.com": "DIRECT",
        "xcdn.sharepoint.com": "DIRECT",
        "contoso.sharepoint.com": "DIRECT",
    }
    got = run(pac, list(want))
    for engine in ENGINES:
        assert got[engine] == want


def test_tenant_names_follow_their_sets() -> None:
    catalogs = load_catalogs()
    design = YAML(typ="safe").load((ROOT / "examples" / "g000-proxy-only-pac.yaml").read_text())
    design["tenant"]["name"] = "Fabrikam"
    p = plan(load_mapping(design, catalogs=catalogs), catalogs)
    (site,) = p.sites
    tenant = {n.pattern.text: n for n in site.names if n.origin == "tenant"}
    assert set(tenant) == {
        "fabrikam.sharepoint.com",
        "fabrikam-my.sharepoint.com",
        "fabrikam-admin.sharepoint.com",
        "autodiscover.fabrikam.onmicrosoft.com",
        "autodiscover.fabrikam.mail.onmicrosoft.com",
    }
    assert tenant["fabrikam.sharepoint.com"].direct  # set 31, over ExpressRoute
    assert tenant["fabrikam.sharepoint.com"].sets == (31,)
    assert not tenant["autodiscover.fabrikam.mail.onmicrosoft.com"].direct  # set 8: internet
    assert tenant["autodiscover.fabrikam.mail.onmicrosoft.com"].sets == (8,)
    assert not [f for f in p.findings if f.code == "ERP905"]
