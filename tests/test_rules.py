"""The rule catalog: one YAML case file per rule (tests/rule_cases/), one parametrized runner.

Each case file names its rule and lists cases: a design fragment (its top-level sections
replace those of tests/rule_cases/_base.yaml, and it comes first in the document, so its line
numbers are the file's) and the findings of that rule expected from it, as
``[code, line, column, message substring]``. A case expecting nothing is a near miss.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from erplan.analyses.rules import RULES, all_rules, find_rule, lint
from erplan.catalogs import Catalogs, load_catalogs
from erplan.codes import all_codes
from erplan.diagnostics import Finding, Severity
from erplan.load import load_text
from erplan.reference import markdown

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "rule_cases"
BASE = (CASES / "_base.yaml").read_text(encoding="utf-8")
CASE_FILES = sorted(p for p in CASES.glob("ERP*.yaml"))
# Rules that a loaded design cannot trigger (the loader refuses the input first): tested below.
NOT_FROM_YAML = {"ERP790"}

_TOP = re.compile(r"^([A-Za-z_]+):", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    """Top-level sections of a YAML text, each with its lines (comments before it dropped)."""
    lines = text.splitlines(keepends=True)
    starts = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _TOP.match(line))]
    out: dict[str, str] = {}
    for n, (i, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        out[key] = "".join(lines[i:end])
    return out


def compose(fragment: str) -> str:
    """The fragment first (its lines keep their numbers), then the base's other sections."""
    own = _sections(fragment)
    rest = "".join(text for key, text in _sections(BASE).items() if key not in own)
    return fragment.rstrip("\n") + "\n" + rest


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_catalogs()


def _load_cases() -> list[Any]:
    params = []
    yaml = YAML(typ="safe")
    for path in CASE_FILES:
        doc = yaml.load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            params.append(pytest.param(doc["rule"], case, id=f"{doc['rule']}-{case['name']}"))
    return params


def _findings(fragment: str, catalogs: Catalogs) -> list[Finding]:
    loaded = load_text(compose(fragment), "design.yaml", catalogs)
    return lint(loaded, catalogs)


@pytest.mark.parametrize(("code", "case"), _load_cases())
def test_rule_case(code: str, case: dict[str, Any], catalogs: Catalogs) -> None:
    findings = [f for f in _findings(case["design"], catalogs) if f.code == code]
    got = sorted((f.code, f.location.line, f.location.column) for f in findings if f.location)
    want = sorted((c, line, col) for c, line, col, _ in case["expect"])
    assert got == want, "\n".join(f.render() for f in findings)
    for c, line, col, text in case["expect"]:
        at = [
            f
            for f in findings
            if f.location and (f.location.line, f.location.column) == (line, col)
        ]
        assert any(text in f.message for f in at), (text, [f.message for f in at])
        assert all(f.code == c and f.severity is RULES[c].severity for f in at)


def test_every_rule_has_a_case_file_with_a_failure_and_a_near_miss() -> None:
    yaml = YAML(typ="safe")
    covered: dict[str, tuple[bool, bool]] = {}
    for path in CASE_FILES:
        doc = yaml.load(path.read_text(encoding="utf-8"))
        assert path.stem == doc["rule"], path
        covered[doc["rule"]] = (
            any(c["expect"] for c in doc["cases"]),
            any(not c["expect"] for c in doc["cases"]),
        )
    missing = sorted(set(RULES) - set(covered) - NOT_FROM_YAML)
    assert not missing, f"rules without a case file: {missing}"
    assert all(fail and near for fail, near in covered.values()), covered


def test_findings_are_sorted_by_position(catalogs: Catalogs) -> None:
    text = (ROOT / "examples" / "g000-fig13-as-written.yaml").read_text(encoding="utf-8")
    findings = lint(load_text(text, "fig13.yaml", catalogs), catalogs)
    keys = [(f.location.line, f.location.column) for f in findings if f.location]
    assert keys == sorted(keys) and len(keys) == len(findings)


# --- The registry -------------------------------------------------------------------------


def test_codes_are_explicit_unique_and_grouped() -> None:
    rules = all_rules()
    assert [r.code for r in rules] == sorted(RULES)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert re.fullmatch(r"ERP[1-7]\d\d|ERP93\d", r.code), r.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        assert r.summary.endswith(".") and "\n" not in r.summary
        assert len(r.explanation) > 80 and r.fix and r.source


def test_find_rule_by_code_name_and_case() -> None:
    assert find_rule("erp305") is RULES["ERP305"]
    assert find_rule("prefix-on-several-circuits") is RULES["ERP305"]
    assert find_rule("ERP999") is None


def test_docs_rules_md_is_generated_from_the_code_catalog() -> None:
    page = ROOT / "docs" / "rules.md"
    expected = markdown(all_codes())
    assert page.exists(), "run: erplan rules --format markdown --output docs/rules.md"
    assert page.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale; run: erplan rules --format markdown --output docs/rules.md"
    )


# --- Silencing ----------------------------------------------------------------------------

SILENCED = """\
circuits:
  ny-er:
    peering_location: New York
    site: hq
    peer_asn: 394500
    primary_subnet: 20.2.1.0/30
    secondary_subnet: 20.2.1.4/30
    vlan: 100
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29]
    silence:
      ERP701: second circuit ordered for next quarter
      region-single-peering-location: only one location in the budget
      ERP7O1: a typo
"""


def test_silenced_finding_is_listed_with_its_reason_but_not_counted(catalogs: Catalogs) -> None:
    from erplan.output import counts, has_errors

    findings = _findings(SILENCED, catalogs)
    single = [f for f in findings if f.code == "ERP701"]
    assert len(single) == 1
    assert single[0].silenced == "second circuit ordered for next quarter"
    assert counts(findings)["silenced"] == 1 and counts(findings)["warning"] == 1
    typo = [f for f in findings if f.code == "ERP791"]
    assert len(typo) == 1 and "did you mean ERP701" in typo[0].message
    assert typo[0].location is not None and typo[0].location.line == 15
    assert not has_errors(findings)


def test_unsilenced_error_still_counts(catalogs: Catalogs) -> None:
    from erplan.output import has_errors

    fragment = SILENCED.replace("advertises: [20.2.2.0/29]", "advertises: [10.0.0.0/8]")
    findings = _findings(fragment, catalogs)
    assert has_errors(findings)
    assert {f.code for f in findings if f.silenced is None} >= {"ERP201", "ERP204"}


def test_empty_reason_is_refused_at_load_and_reported_by_the_runner(catalogs: Catalogs) -> None:
    from erplan.analyses.rules.registry import Context, run
    from erplan.diagnostics import InputError

    fragment = SILENCED.replace("second circuit ordered for next quarter", '""')
    with pytest.raises(InputError):
        load_text(compose(fragment), "design.yaml", catalogs)
    # A design built in Python is not checked by the loader: the runner reports it (ERP790).
    loaded = load_text(compose(SILENCED), "design.yaml", catalogs)
    circuit = loaded.design.circuits["ny-er"]
    blank = circuit.model_copy(update={"silence": {"ERP701": "  "}})
    design = loaded.design.model_copy(update={"circuits": {"ny-er": blank}})
    findings = run(Context(design, loaded.source, catalogs))
    empty = [f for f in findings if f.code == "ERP790"]
    assert len(empty) == 1 and empty[0].severity is Severity.ERROR
    assert [f.silenced for f in findings if f.code == "ERP701"] == [None]


# --- The guides' examples -------------------------------------------------------------------

EXAMPLES = ROOT / "examples"
CORRECT = [
    "g000-fig17*",
    "g000-fig19*",
    "g000-fig20*",
    "g000-fig13-dnat*",
    "g001-solution*",
    "g001-exchange-hybrid*",
    "g001-sharepoint-outbound*",
]


def _examples(patterns: list[str]) -> list[Path]:
    return sorted({p for pattern in patterns for p in EXAMPLES.glob(pattern + ".yaml")})


@pytest.mark.parametrize("path", _examples(CORRECT), ids=lambda p: p.stem)
def test_examples_the_guides_call_correct_have_no_error(path: Path, catalogs: Catalogs) -> None:
    findings = lint(load_text(path.read_text(encoding="utf-8"), path.name, catalogs), catalogs)
    errors = [f.render() for f in findings if f.severity is Severity.ERROR and not f.silenced]
    assert errors == []


def test_fig13_as_written_is_flagged(catalogs: Catalogs) -> None:
    """Guide 000 §6.2–6.4: 20.2.2.29 in DNS, 20.2.2.59 in the DNAT rule, 20.2.2.63/32 advertised."""
    path = EXAMPLES / "g000-fig13-as-written.yaml"
    findings = lint(load_text(path.read_text(encoding="utf-8"), path.name, catalogs), catalogs)
    codes = {f.code for f in findings if f.severity is Severity.ERROR}
    assert {"ERP501", "ERP502", "ERP205"} <= codes
    dns = next(f for f in findings if f.code == "ERP501")
    assert "20.2.2.29" in dns.message and "20.2.2.59" in dns.message
    host = next(f for f in findings if f.code == "ERP502")
    assert "20.2.2.63/32" in host.message


def test_the_rules_read_one_wan_links_that_are_down_join_nothing() -> None:
    """ERP404 (users per circuit) and ERP711 (sites reaching a breakout) share one adjacency:
    a link that is down, or that names no site, joins nothing; weights are the caller's."""
    from erplan.analyses.rules.wan import wan_adjacency

    loaded = load_text(
        "erplan: 1\ntenant: {geography: US}\nsites:\n"
        "  a: {location: New York}\n  b: {location: Boston}\n  c: {location: Chicago}\n"
        "wan:\n  - {between: [a, b], cost: 7}\n  - {between: [b, c], up: false}\n",
        "wan.yaml",
        catalogs=load_catalogs(),
    ).design
    assert wan_adjacency(loaded) == {"a": [("b", 1.0)], "b": [("a", 1.0)], "c": []}
    weighted = wan_adjacency(loaded, lambda w: float(w.cost or 0))
    assert weighted["a"] == [("b", 7.0)]
