"""A finding points at the design object its fix changes: the proxy set-up of a proxy-only
site whose DIRECT names have no ExpressRoute route (guide 000 §2.2: the perimeter's rule is the
customer's security policy, kept as it is)."""

from __future__ import annotations

from pathlib import Path

from erplan.analyses.verdicts import verify
from erplan.catalogs import load_catalogs
from erplan.diagnostics import Finding
from erplan.load import load_design

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
