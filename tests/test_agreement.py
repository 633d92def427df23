"""The comparison of the model's flows with the emulation's, on hand-written flows."""

from __future__ import annotations

from typing import Any

import pytest

from erplan.analyses.agreement import (
    binomial_p_value,
    comparable,
    compare,
    model_shares,
    within,
)


def model(key: str, verdict: str, share: float, branches: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": key,
        "direction": "outbound",
        "origin": "us",
        "verdict": verdict,
        "share_affected": share,
        "tie": False,
        "branches": branches,
    }


def branch(weight: float, out: str | None, back: str | None, outcome: str) -> dict[str, Any]:
    return {"weight": weight, "forward_edge": out, "return_edge": back, "outcome": outcome}


def emulated(
    key: str,
    n: int,
    outcomes: dict[str, float],
    out: dict[str, float],
    back: dict[str, float],
    error: str | None = None,
) -> dict[str, Any]:
    failed = sum(v for k, v in outcomes.items() if k in ("dropped", "blackhole", "unreachable"))
    return {
        "key": key,
        "direction": "outbound",
        "verdict": "ok",
        "attempted": n,
        "completed": round(n * (1 - failed)),
        "share_failed": failed,
        "effective_n": n,
        "outcomes": outcomes,
        "forward_edges": out,
        "return_edges": back,
        "evidence": ["3 dropped at circuit eu-er customer edge: no session"],
        "error": error,
    }


US_P, US_S, EU_P = "circuit:us-er/primary", "circuit:us-er/secondary", "circuit:eu-er/primary"
SHARED_POOL = model(
    "out/us/1",
    "dropped",
    0.5,
    [
        branch(0.25, US_P, US_P, "ok"),
        branch(0.25, US_S, US_S, "ok"),
        branch(0.25, US_P, EU_P, "dropped"),
        branch(0.25, US_S, EU_P, "dropped"),
    ],
)


def test_a_matching_emulation_agrees_on_share_outcomes_and_edges() -> None:
    e = emulated(
        "out/us/1",
        32,
        {"ok": 0.47, "dropped": 0.53},
        {US_P: 0.5, US_S: 0.5},
        {US_P: 0.22, US_S: 0.25, EU_P: 0.53},
    )
    result = compare([SHARED_POOL], [e])
    (fa,) = result.flows
    assert fa.agree, [c.to_dict() for c in fa.disagreements]
    assert {c.name for c in fa.checks} == {"share failed", "outcomes", "edges out", "edges back"}
    assert result.to_dict()["latency"].startswith("not judged")


def test_shares_of_zero_and_one_must_be_observed_exactly() -> None:
    ok_model = model("out/us/2", "ok", 0.0, [branch(1.0, US_P, US_P, "ok")])
    one_lost = emulated("out/us/2", 200, {"ok": 0.995, "dropped": 0.005}, {US_P: 1.0}, {US_P: 1.0})
    fa = compare([ok_model], [one_lost]).flows[0]
    assert not fa.agree
    assert {c.name for c in fa.disagreements} == {"share failed", "outcomes"}
    assert fa.to_dict()["evidence"], "a disagreement carries the emulation's evidence"


def test_a_fractional_share_is_judged_with_the_stated_tolerance() -> None:
    far = emulated("out/us/1", 32, {"ok": 0.95, "dropped": 0.05}, {US_P: 0.5, US_S: 0.5}, {})
    fa = compare([SHARED_POOL], [far]).flows[0]
    assert not fa.agree
    assert "share failed" in {c.name for c in fa.disagreements}
    assert within(0.5, 0.6, 32, 1e-6, 0.02) and not within(0.5, 1.0, 32, 1e-6, 0.02)
    assert within(0.0, 0.0, 0, 1e-6, 0.02) and not within(1.0, 0.99, 1000, 1e-6, 0.02)
    # 32 connections tell a flow that half fails from one that always works, 8 cannot.
    assert not within(0.5, 0.0, 32, 1e-6, 0.02) and within(0.5, 0.0, 8, 1e-6, 0.02)


def test_the_binomial_p_value_is_exact() -> None:
    assert binomial_p_value(0, 16, 0.5) == pytest.approx(2 * 0.5**16)
    assert binomial_p_value(8, 16, 0.5) == 1.0
    # 11 of 16 at 0.25: a rare draw, yet not rare enough to call a disagreement at 1e-6.
    assert 1e-6 < binomial_p_value(11, 16, 0.25) < 1e-3


def test_an_edge_the_model_never_uses_is_a_disagreement() -> None:
    e = emulated(
        "out/us/1",
        32,
        {"ok": 0.5, "dropped": 0.5},
        {US_P: 0.5, US_S: 0.25, "breakout:us-inet": 0.25},
        {US_P: 0.25, US_S: 0.25, EU_P: 0.5},
    )
    fa = compare([SHARED_POOL], [e]).flows[0]
    assert [c.name for c in fa.disagreements] == ["edges out"]


def test_asymmetric_is_a_class_of_its_own_and_suboptimal_counts_as_ok() -> None:
    m = model(
        "in/app/Boydton/443",
        "asymmetric",
        0.5,
        [branch(0.5, US_P, US_P, "suboptimal"), branch(0.5, EU_P, US_P, "asymmetric")],
    )
    assert model_shares(m)["ok"] == 0.5 and model_shares(m)["asymmetric"] == 0.5
    all_ok = emulated("in/app/Boydton/443", 32, {"ok": 1.0}, {US_P: 0.5, EU_P: 0.5}, {US_P: 1.0})
    fa = compare([m], [all_ok]).flows[0]
    assert [c.name for c in fa.disagreements] == ["outcomes"]


def test_flows_present_on_one_side_only_disagree() -> None:
    e = emulated("out/us/9", 8, {"ok": 1.0}, {US_P: 1.0}, {US_P: 1.0})
    result = compare([SHARED_POOL], [e])
    assert [f.key for f in result.disagreements] == ["out/us/1", "out/us/9"]
    assert result.to_dict()["disagree"] == 2


def test_a_flow_the_emulation_could_not_open_disagrees_with_its_reason() -> None:
    e = emulated("out/us/1", 0, {}, {}, {}, error="site us has users but no prefixes")
    fa = compare([SHARED_POOL], [e]).flows[0]
    assert not fa.agree and "no prefixes" in fa.disagreements[0].detail


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        ([{"key": "dns/us", "branches": []}], True),
        ([{"flow": "x", "verdict": "ok"}], False),  # the older report format
        ({"flows": []}, False),
    ],
)
def test_comparable_recognises_the_comparison_format(flows: Any, expected: bool) -> None:
    assert comparable(flows) is expected
