"""Shared pieces of the emulation tests: when they can run, running a design, reading results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from erplan.catalogs import load_catalogs
from erplan.emulate.host import missing_tools
from erplan.emulate.results import FlowResult
from erplan.emulate.run import EmulationReport, emulate
from erplan.load import load_design, load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CATALOGS = load_catalogs()
# Set by .ci/run: on a machine where the emulation can run, a skip is a failure.
REQUIRE = "ERPLAN_REQUIRE_EMULATION"


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "emulation needs root (network namespaces)"
    missing = missing_tools()
    if missing:
        return f"emulation needs {', '.join(missing)} (make sysdeps)"
    return None


def require_emulation() -> None:
    """Skip an emulation test that cannot run here, or fail it when it is required."""
    reason = skip_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {reason}")
    pytest.skip(reason)


def run_mapping(data: Mapping[str, Any], connections: int = 16, seed: int = 1) -> EmulationReport:
    loaded = load_mapping(data, str(data.get("name", "<test design>")), CATALOGS)
    return emulate(loaded.design, CATALOGS, connections=connections, seed=seed)


def run_file(path: Path, connections: int = 16) -> EmulationReport:
    loaded = load_design(path, CATALOGS)
    return emulate(loaded.design, CATALOGS, connections=connections)


def flows(report: EmulationReport) -> dict[str, FlowResult]:
    return {f.spec.key: f for f in report.flows}


def edges(flow: FlowResult, back: bool = False) -> set[str]:
    """Edges at least one connection of the flow was seen to cross (out, or back)."""
    return {e for c in flow.connections for e in (c.back if back else c.forward)}


def describe(flow: FlowResult) -> str:
    """One line for assertion messages: what happened, with the evidence."""
    return (
        f"{flow.spec.key}: {flow.completed}/{flow.attempted} completed, "
        f"failed share {flow.share_failed:.3f}, out {sorted(edges(flow))}, "
        f"back {sorted(edges(flow, True))}; " + "; ".join(flow.evidence[:6])
    )


def model_flows(data: Mapping[str, Any] | Path) -> dict[str, dict[str, Any]]:
    """The model's verdict per flow key, in the comparison format (docs/flow-semantics.md),
    of a design given as data or as a file."""
    from erplan.analyses.verdicts import verify

    if isinstance(data, Path):
        loaded = load_design(data, CATALOGS)
    else:
        loaded = load_mapping(data, str(data.get("name", "<test design>")), CATALOGS)
    return {str(f["key"]): f for f in verify(loaded, CATALOGS).per_flow()}


def assert_agrees(data: Mapping[str, Any] | Path, report: EmulationReport, keys: list[str]) -> None:
    """Model and emulation agree on each of ``keys``: share failed, outcome classes, edges out
    and back (erplan.analyses.agreement, its statistical tolerance)."""
    from erplan.analyses.agreement import compare

    model = model_flows(data)
    emulated = {f.spec.key: f for f in report.flows}
    missing = [k for k in keys if k not in model or k not in emulated]
    assert not missing, f"flows missing on a side: {missing}"
    result = compare([model[k] for k in keys], [emulated[k].to_dict() for k in keys])
    bad = [
        f"{fa.key}: "
        + "; ".join(f"{c.name}: model {c.model} / emulation {c.emulation}" for c in fa.checks)
        + " | "
        + describe(emulated[fa.key])
        for fa in result.disagreements
    ]
    assert not bad, "\n".join(bad)
