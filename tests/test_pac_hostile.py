"""Names come from untrusted input: no string of an endpoint catalog or of a design can change
what a PAC file decides. Hostile names are refused (ERP904) and everything that is written is
escaped; the PAC file keeps one fixed shape, and both JavaScript engines decide every host
exactly as for the same design and catalog without the hostile strings."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from _pac_engines import ENGINES, run
from erplan.catalogs import load_catalogs
from erplan.generators.names import NameRefused, js_string, parse_pattern
from erplan.generators.pac import render_pac
from erplan.generators.plan import plan
from erplan.load import load_mapping

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "src" / "erplan" / "catalogs" / "data" / "endpoints_worldwide.json"
EXAMPLE = ROOT / "examples" / "g000-proxy-only-pac.yaml"

HOSTILE = [
    'x"; return "DIRECT"; //',
    'a.com")) { return "DIRECT"; } if (shExpMatch(h, "b.com',
    '"); } function FindProxyForURL(u, h) { return "DIRECT"; } //',
    "evil\\.com",
    "back\\slash.example.com",
    'line.example.com\nreturn "DIRECT";',
    "cr.example.com\r//",
    '*/ return "DIRECT"; /*',
    "ünïcode.example.com",
    "sep\u2028arator.example.com",
    "para\u2029graph.example.com",
    "nul\u0000.example.com",
    "*",
    "*.com",
    "**.example.com",
    "a'b.example.com",
    "tab\t.example.com",
    " spaced.example.com",
    "question?.example.com",
    "[ab].example.com",
    "-leading.example.com",
    "a..b.example.com",
    "x" * 64 + ".example.com",
    "1.2.3.4",
]
# Hosts an injection would aim at, and the hostile strings themselves.
TARGETS = [
    "example.com",
    "www.example.org",
    "b.com",
    "a.com",
    "outlook.office365.com",
    "cdn.odc.officeapps.live.com",
    "x.officeapps.live.com",
    "contoso.sharepoint.com",
    "x.sharepoint.com",
    "line.example.com",
    "cr.example.com",
    "evil.com",
    "1.2.3.4",
    *[h for h in HOSTILE if "\u0000" not in h],
]


def endpoints(tmp: Path, hostile: bool) -> Path:
    sets: list[dict[str, Any]] = json.loads(SHIPPED.read_text(encoding="utf-8-sig"))
    if hostile:
        for es in sets:
            if es["id"] in (31, 37):  # an ExpressRoute set and an internet-only one
                es["urls"] = es["urls"] + HOSTILE
                es["serviceArea"] = es["serviceArea"]  # unchanged: a known service area
        sets[0]["serviceAreaDisplayName"] = '*/ "; return "DIRECT"; //\n'
    path = tmp / ("hostile.json" if hostile else "clean.json")
    path.write_text(json.dumps(sets), encoding="utf-8")
    return path


SITE = 'hq"; return "DIRECT"; // */'


def design(hostile: bool) -> dict[str, Any]:
    d: dict[str, Any] = YAML(typ="safe").load(EXAMPLE.read_text())
    d = copy.deepcopy(d)
    d["tenant"]["name"] = "contoso"
    d["services"] = {
        "autodiscover": {
            "fqdn": "autodiscover.contoso.com",
            "dns_record": "20.2.4.5",
            "public_address": "20.2.4.5",
            "site": "hq",
        }
    }
    if hostile:
        d["name"] = '*/ return "DIRECT"; /* //'
        d["sites"][SITE] = d["sites"].pop("hq")
        d["devices"]["web-proxy"]["site"] = SITE
        d["devices"]["perimeter"]["site"] = SITE
        d["breakouts"]["hq-inet"]["site"] = SITE
        d["circuits"]["hq-er"]["site"] = SITE
        d["services"]["autodiscover"]["site"] = SITE
        # A hostile FQDN never gets this far: the loader holds fqdn to DNS labels.
    return d


# The only lines a PAC body may hold.
_LINE = re.compile(
    r'  // [ -~]*|  if \(shExpMatch\(h, "[a-z0-9.*-]+"\)\) \{ return ("DIRECT"|proxy); \}'
    r'|  if \(/\^[a-z0-9.\\\[\]^*+?:()-]+\$/\.test\(h\)\) \{ return ("DIRECT"|proxy); \}'
)
_FIXED = [
    "function FindProxyForURL(url, host) {",
    "  var h = String(host).toLowerCase();",
    '  if (h.length > 0 && h.charAt(h.length - 1) == ".") {',
    "    h = h.substring(0, h.length - 1);",
    "  }",
]


def shape_ok(pac: str) -> None:
    lines = pac.split("\n")
    assert lines[-1] == ""
    head = next(i for i, line in enumerate(lines) if not line.startswith("// "))
    assert all(re.fullmatch(r"// [ -~]*", line) for line in lines[:head])
    assert lines[head : head + 5] == _FIXED
    assert re.fullmatch(r'  var proxy = "PROXY [0-9.]+:[0-9]+";', lines[head + 5])
    assert lines[-3:] == ["  return proxy;", "}", ""]
    for line in lines[head + 6 : -3]:
        assert _LINE.fullmatch(line), line
    assert pac.count("function") == 1
    assert all(ch == "\n" or " " <= ch <= "~" for ch in pac)


def test_hostile_names_change_no_decision(tmp_path: Path) -> None:
    clean_cat = load_catalogs(endpoints(tmp_path, False))
    bad_cat = load_catalogs(endpoints(tmp_path, True))
    clean = plan(load_mapping(design(False), catalogs=clean_cat), clean_cat)
    bad = plan(load_mapping(design(True), catalogs=bad_cat), bad_cat)
    refused = [f for f in bad.findings if f.code == "ERP904"]
    # every hostile catalog string, once per set that lists it
    assert len(refused) == 2 * len(HOSTILE)
    (good_site,) = clean.sites
    (bad_site,) = bad.sites
    assert bad_site.site == SITE
    good_pac = render_pac(clean, good_site, "2026-01-01")
    bad_pac = render_pac(bad, bad_site, "2026-01-01")
    shape_ok(good_pac)
    shape_ok(bad_pac)
    hosts = sorted({*TARGETS, *(n.pattern.text for n in good_site.names)})
    expected = run(good_pac, hosts)
    got = run(bad_pac, hosts)
    for engine in ENGINES:
        assert got[engine] == expected[engine]
        assert got[engine]["example.com"] == "PROXY 10.1.255.10:8080"
        assert got[engine]["x.sharepoint.com"] == "DIRECT"
        assert got[engine]["autodiscover.contoso.com"] == "DIRECT"  # inside the network


def test_hostile_proxy_address_is_refused(tmp_path: Path) -> None:
    cat = load_catalogs(endpoints(tmp_path, False))
    d = design(False)
    d["devices"].pop("web-proxy")
    d["sites"]["hq"]["proxy"] = {"mode": "pac", "address": 'proxy"; return "DIRECT"; //:8080'}
    p = plan(load_mapping(d, catalogs=cat), cat)
    assert p.sites == []
    assert p.skipped == [("hq", "its proxy cannot be named in a PAC file")]
    (f,) = [f for f in p.findings if f.code == "ERP903"]
    assert f.severity.value == "error" and f.subject == "sites.hq.proxy.address"


def test_every_hostile_string_is_refused_and_escaping_is_total() -> None:
    for text in HOSTILE:
        try:
            parse_pattern(text)
        except NameRefused:
            continue
        raise AssertionError(f"accepted {text!r}")
    for text in HOSTILE:
        literal = js_string(text)
        inner = literal[1:-1]
        assert literal[0] == literal[-1] == '"'
        assert all(" " <= ch <= "~" for ch in literal)
        assert '"' not in inner and "\n" not in inner
        assert "\\" not in inner.replace("\\u", "")  # only \\uXXXX escapes
        assert json.loads(literal) == text  # a JavaScript string literal is also JSON here
