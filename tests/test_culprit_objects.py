"""A finding points at the design object its fix changes: the WAN link whose cost leads a site
past a nearer circuit (guide 000 §7.3.1), and the proxy set-up of a proxy-only site whose
DIRECT names have no ExpressRoute route (guide 000 §2.2: the perimeter's rule is the customer's
security policy, kept as it is)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulation import designs_review3
from emulation.designs import site
from erplan.analyses.verdicts import verify
from erplan.catalogs import load_catalogs
from erplan.diagnostics import Finding
from erplan.load import load_design, load_text

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = load_catalogs()


def _at(path: Path, key: str, after: str) -> tuple[int, int]:
    """Line and column (1-based) of the value of the first ``key:`` after the line ``after``."""
    lines = path.read_text().splitlines()
    start = next(i for i, s in enumerate(lines) if s.strip() == after)
    for i in range(start, len(lines)):
        stripped = lines[i].lstrip()
        if stripped.startswith(f"{key}:"):
            col = len(lines[i]) - len(stripped) + len(key) + 2
            return i + 1, col + 1
    raise AssertionError(f"no {key} after {after}")


def _finding(findings: list[Finding], cause: str) -> Finding:
    (found,) = [f for f in findings if f.data.get("cause_key") == cause]
    return found


def test_a_direct_name_refused_at_a_proxy_only_site_points_at_its_proxy_mode() -> None:
    """hq has no PAC file (proxy.mode: direct) and its clients may not go out directly: the
    fix is the proxy set-up, so the finding stands on `mode`, not on `direct_internet`."""
    path = ROOT / "examples" / "g000-proxy-only-direct.yaml"
    report = verify(load_design(path, CATALOGS), CATALOGS)
    f = _finding(report.findings, "no-direct-internet")
    assert f.subject == "sites.hq.proxy.mode"
    assert f.location is not None
    assert (f.location.line, f.location.column) == _at(path, "mode", "proxy:")
    assert f.fix is not None and "PAC file" in f.fix


# -- the WAN link whose cost leads a site past a nearer circuit --------------------------------


def _igp(wan: list[dict[str, Any]]) -> tuple[str, Any]:
    """designs_review3.igp_hairpin with these WAN links, as a file (JSON is YAML): eu sits
    beside Amsterdam's circuit c2 (via ams), New York's c1 (via hq) is across the Atlantic."""
    data = designs_review3.igp_hairpin()
    data["wan"] = wan
    text = json.dumps(data, indent=2)
    return text, verify(load_text(text, "igp.yaml", CATALOGS), CATALOGS)


EU_HQ = {"between": ["eu", "hq"], "latency_ms": 80, "cost": 10}
EU_AMS = {"between": ["eu", "ams"], "latency_ms": 5, "cost": 100}


def _cost_at(text: str, wan: list[dict[str, Any]], index: int) -> tuple[int, int]:
    """Line and column (1-based) of the value of ``"cost"`` inside wan[index] of the file."""
    lines = text.splitlines()
    start = next(i for i, s in enumerate(lines) if s.strip() == '"wan": [')
    seen = -1
    for i in range(start, len(lines)):
        if lines[i].strip() == "{":
            seen += 1
        if seen == index and lines[i].strip().startswith('"cost"'):
            value = str(wan[index]["cost"])
            assert lines[i].strip().rstrip(",") == f'"cost": {value}'
            return i + 1, lines[i].index(f": {value}") + 3
    raise AssertionError("no cost")


def test_an_igp_hairpin_points_at_the_overpriced_link_of_the_fastest_path() -> None:
    """eu - ams costs 100 for its 5 ms (95 above), eu - hq 10 for its 80 ms (70 below): the
    link to Amsterdam is the cost furthest from its latency, the one to lower; the finding
    stands on its cost and the fix names it (text and JSON)."""
    wan = [EU_HQ, EU_AMS]
    text, report = _igp(wan)
    rows = [r for r in report.results if r.cause_key == "igp-metric"]
    assert rows
    for r in rows:
        assert r.culprit == ("wan", 1, "cost")
        assert "WAN link eu - ams (wan[1]) costs 100 for its 5 ms" in r.fix
        assert "lower its cost" in r.fix
        assert r.to_dict()["culprit"] == "wan.1.cost"
    f = _finding(report.findings, "igp-metric")
    assert f.subject == "wan.1.cost"
    assert f.location is not None
    assert (f.location.line, f.location.column) == _cost_at(text, wan, 1)
    assert f.fix is not None and "eu - ams" in f.fix


def test_an_igp_hairpin_points_at_the_underpriced_link_of_the_path_taken() -> None:
    """eu - hq now costs 1 for its 80 ms (79 below), eu - ams 10 for its 5 ms (5 above): the
    cheap Atlantic link is the one to raise, wherever the design lists it."""
    cheap = {**EU_HQ, "cost": 1}
    near = {**EU_AMS, "cost": 10}
    for wan, index in (([cheap, near], 0), ([near, cheap], 1)):
        text, report = _igp(wan)
        f = _finding(report.findings, "igp-metric")
        assert f.subject == f"wan.{index}.cost"
        assert f.location is not None
        assert (f.location.line, f.location.column) == _cost_at(text, wan, index)
        assert f.fix is not None
        assert f"WAN link eu - hq (wan[{index}]) costs 1 for its 80 ms" in f.fix
        assert "raise its cost" in f.fix


@pytest.mark.parametrize(("dear", "cheap"), [("a-mid", "z-mid"), ("z-mid", "a-mid")])
def test_of_equally_fast_paths_every_one_is_weighed(dear: str, cheap: str) -> None:
    """eu reaches ams as fast through either Amsterdam transit site (2.5 ms and 2.5 ms); the
    link to ``dear`` costs 100 (97.5 above its latency), the rest 50: that link is the culprit
    whichever name sorts first - no name picks one of the tied paths."""
    half = 2.5
    wan = [
        EU_HQ,
        {"between": ["eu", dear], "latency_ms": half, "cost": 100},
        {"between": [dear, "ams"], "latency_ms": half, "cost": 50},
        {"between": ["eu", cheap], "latency_ms": half, "cost": 50},
        {"between": [cheap, "ams"], "latency_ms": half, "cost": 50},
    ]
    data = designs_review3.igp_hairpin()
    data["sites"][dear] = site("Amsterdam", ["10.240.0.0/16"], users=0)
    data["sites"][cheap] = site("Amsterdam", ["10.241.0.0/16"], users=0)
    data["wan"] = wan
    report = verify(load_text(json.dumps(data, indent=2), "igp.yaml", CATALOGS), CATALOGS)
    f = _finding(report.findings, "igp-metric")
    assert f.subject == "wan.1.cost"
    assert f.fix is not None and f"WAN link eu - {dear} (wan[1]) costs 100" in f.fix
