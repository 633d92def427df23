"""`erplan emulate` as a command: its refusals, and what it prints with and without a model in
the comparison format. The emulation itself is replaced by a recorded report here (no root);
the tests under tests/emulation run it for real."""

from __future__ import annotations

import json
import os
import sys
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from erplan.cli import main
from erplan.emulate import host
from erplan.emulate import run as emulate_run
from erplan.emulate.addresses import AddressRange
from erplan.emulate.flows import FlowSpec, Stratum
from erplan.emulate.netns import Timings
from erplan.emulate.results import Connection, FlowResult
from erplan.emulate.run import EmulationReport

DESIGN = Path(__file__).resolve().parents[1] / "examples" / "g000-fig10-snat.yaml"
EDGE = "circuit:us-er/primary"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def recorded(*_: Any, **__: Any) -> EmulationReport:
    """A report as a run gives it: one flow, half its connections lost at a firewall."""
    piece = AddressRange(IPv4Address("10.0.0.5"), IPv4Address("10.0.0.5"))
    spec = FlowSpec("out/us/1", "outbound", "us", 443, (Stratum(piece, 1.0),), endpoint_set=1)
    flow = FlowResult(spec)
    for port in range(20000, 20008):
        c = Connection(port, 0, 1 / 8, "10.0.0.5", ok=port % 2 == 0, forward=[EDGE], back=[EDGE])
        if not c.ok:
            c.drops = [("device fw (firewall)", "no session")]
        c.classify()
        flow.connections.append(c)
    flow.evidence = ["4 dropped at device fw (firewall): no session"]
    return EmulationReport("fig10", "erp1x0000-", [flow], Timings())


class FakeReport:
    def __init__(self, flows: list[dict[str, Any]]) -> None:
        self.flows = flows

    def to_dict(self) -> dict[str, Any]:
        return {"flows": self.flows}


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(host, "missing_tools", lambda: [])
    monkeypatch.setattr(emulate_run, "emulate", recorded)


def _model(flows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    import erplan.analyses.verdicts as verdicts

    monkeypatch.setattr(verdicts, "verify", lambda *_a, **_k: FakeReport(flows))


def test_not_root_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, out, err = run(["emulate", str(DESIGN)], capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "needs root" in err and "Traceback" not in err


def test_missing_frr_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(host, "missing_tools", lambda: ["FRR ospfd", "nft"])
    code, _, err = run(["emulate", str(DESIGN)], capsys, monkeypatch)
    assert code == 2 and "FRR ospfd, nft" in err and err.count("\n") == 1


@pytest.mark.usefixtures("as_root")
def test_without_a_model_in_the_comparison_format_it_reports_the_emulation_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _model([{"flow": "x", "verdict": "ok"}], monkeypatch)  # the older report format
    code, out, _ = run(["emulate", str(DESIGN)], capsys, monkeypatch)
    assert code == 0
    assert "emulation only" in out and "out/us/1" in out and "4/8" in out
    code, out, _ = run(["emulate", str(DESIGN), "--format", "json"], capsys, monkeypatch)
    doc = json.loads(out)
    assert code == 0 and doc["agreement"] is None and "emulation only" in doc["model_note"]
    assert doc["emulation"]["flows"][0]["share_failed"] == 0.5


@pytest.mark.usefixtures("as_root")
def test_a_disagreement_exits_1_and_shows_the_evidence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _model(
        [
            {
                "key": "out/us/1",
                "direction": "outbound",
                "verdict": "ok",
                "share_affected": 0.0,
                "tie": False,
                "branches": [
                    {"weight": 1.0, "forward_edge": EDGE, "return_edge": EDGE, "outcome": "ok"}
                ],
            }
        ],
        monkeypatch,
    )
    code, out, _ = run(["emulate", str(DESIGN)], capsys, monkeypatch)
    assert code == 1
    assert "disagreement" in out and "share failed" in out and "no session" in out


@pytest.mark.usefixtures("as_root")
def test_agreement_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    half = {"forward_edge": EDGE, "return_edge": EDGE, "weight": 0.5}
    _model(
        [
            {
                "key": "out/us/1",
                "direction": "outbound",
                "verdict": "dropped",
                "share_affected": 0.5,
                "tie": False,
                "branches": [{**half, "outcome": "ok"}, {**half, "outcome": "dropped"}],
            }
        ],
        monkeypatch,
    )
    code, out, _ = run(["emulate", str(DESIGN), "--format", "json"], capsys, monkeypatch)
    doc = json.loads(out)
    assert code == 0 and doc["agreement"]["agree"] == 1, doc["agreement"]


@pytest.mark.usefixtures("as_root")
def test_a_report_that_groups_flows_is_read_flow_by_flow(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import erplan.analyses.verdicts as verdicts

    half = {"forward_edge": EDGE, "return_edge": EDGE, "weight": 0.5}
    one = {
        "key": "out/us/1",
        "direction": "outbound",
        "verdict": "dropped",
        "share_affected": 0.5,
        "tie": False,
        "branches": [{**half, "outcome": "ok"}, {**half, "outcome": "dropped"}],
    }

    class Grouped(FakeReport):
        def per_flow(self) -> list[dict[str, Any]]:
            return [one]

    monkeypatch.setattr(verdicts, "verify", lambda *_a, **_k: Grouped([{"flow": "grouped"}]))
    code, out, _ = run(["emulate", str(DESIGN), "--format", "json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["agreement"]["agree"] == 1
