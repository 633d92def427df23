"""`erplan diff` and `erplan stages`: what a change does before it is made, and a staged rollout
verified step by step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run as run_cli
from erplan.analyses.diff import compare, snapshot
from erplan.analyses.stages import apply_set, run
from erplan.catalogs import load_catalogs
from erplan.load import load_design

ROOT = Path(__file__).resolve().parent.parent
FIG16 = ROOT / "examples" / "g000-fig16-shared-pool.yaml"
FIG17 = ROOT / "examples" / "g000-fig17-per-circuit-pools.yaml"
HA = ROOT / "examples" / "g001-sharepoint-outbound.yaml"
PLAN = ROOT / "examples" / "plans" / "g001-sharepoint-rollout.yaml"


def _snap(path: Path):  # type: ignore[no-untyped-def]
    catalogs = load_catalogs()
    return snapshot(load_design(path, catalogs), catalogs)


def test_separate_pools_fix_what_the_shared_pool_breaks() -> None:
    """Guide 000 §7.3.2 (Figures 16 and 17): one pool advertised on both circuits sends half the
    replies back by the other circuit; 'Use separate NAT IP pools per ExpressRoute circuit'
    (guide 001) fixes it. From Figure 16 to 17 nothing breaks and the drops are cleared; the
    other way round, half the connections of both sites break."""
    old, new = _snap(FIG16), _snap(FIG17)
    fix = compare(old, new)
    assert not fix.breaks
    assert any("verdict" in c.what and c.after and c.after.verdict == "ok" for c in fix.flows)
    assert "ERP803" in {f.code for f in fix.cleared}
    undo = compare(new, old)
    assert undo.breaks
    broken = {c.origin for c in undo.flows if c.breaks}
    assert broken == {"us", "eu"}
    assert undo.users_broken == round(0.5 * (5000 + 3000))
    assert "ERP803" in {f.code for f in undo.raised}
    same = compare(new, _snap(FIG17))
    assert not same.flows and not same.raised and not same.cleared


def test_diff_cli_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli(["diff", str(FIG16), str(FIG17), "-f", "json"], capsys, monkeypatch)
    assert r.code == 0 and not json.loads(r.out)["breaks"]
    r = run_cli(["diff", str(FIG17), str(FIG16)], capsys, monkeypatch)
    assert r.code == 1 and "broken" in r.out
    r = run_cli(["diff", str(FIG17), str(ROOT / "none.yaml")], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "") and "none.yaml" in r.err


def test_rollout_one_segment_first() -> None:
    """Guide 001: 'Advertise routes to the ExpressRoute network to a single network segment at
    first and expand route advertisements by network segment or region.' Step 1 moves Chicago
    onto its circuit; Dallas, whose breakout is at Chicago, moves with it (hop by hop the Chicago
    router forwards its traffic by the circuit); step 2 moves Dallas to its own circuit. Nothing
    that worked breaks at any step."""
    steps = run(HA, PLAN, load_catalogs())
    assert [s.ok for s in steps] == [True, True]
    one, two = (s.diff for s in steps)
    assert one is not None and two is not None
    moved = {c.origin: c for c in one.flows}
    assert moved["chicago"].after is not None
    assert [e for e, _ in moved["chicago"].after.edges] == ["circuit:chicago-er"]
    assert [e for e, _ in moved["dallas"].after.edges] == ["circuit:chicago-er"]  # type: ignore[union-attr]
    assert {c.origin for c in two.flows} == {"dallas"}
    assert all([e for e, _ in c.after.edges] == ["circuit:dallas-er"] for c in two.flows if c.after)


def test_a_step_that_breaks_is_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "erplan_stages: 1\n"
        "stages:\n"
        "  - name: as designed\n"
        "    set: {}\n"
        "  - name: Dallas advertises Chicago's pool too\n"
        "    set:\n"
        "      circuits.dallas-er.advertises: [1.1.3.0/24, 1.1.2.0/24]\n"
    )
    r = run_cli(["stages", str(HA), "--plan", str(plan), "-f", "json"], capsys, monkeypatch)
    assert r.code == 1
    first, second = json.loads(r.out)["stages"]
    assert first["ok"] and not second["ok"]
    assert second["diff"]["breaks"]


def test_bad_plan_names_file_line_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("erplan_stages: 1\nstages:\n  - name: bad\n    set:\n      wan.7.up: false\n")
    r = run_cli(["stages", str(HA), "--plan", str(plan)], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert f"{plan}:4:" in r.err and "wan.7.up" in r.err
    plan.write_text("erplan_stages: 1\nstages: []\n")
    r = run_cli(["stages", str(HA), "--plan", str(plan)], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert f"{plan}:2:" in r.err
    plan.write_text(
        "erplan_stages: 1\nstages:\n  - name: x\n    set:\n      sites.dallas.users: many\n"
    )
    r = run_cli(["stages", str(HA), "--plan", str(plan)], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert f"{plan}:4:" in r.err and "users" in r.err


def test_apply_set_paths() -> None:
    data = {"sites": {"a": {"users": 1}}, "wan": [{"up": True}], "circuits": {"c": {"up": True}}}
    assert (
        apply_set(
            data, {"sites.a.users": 5, "wan.0.up": False, "circuits.c.links.primary.up": False}
        )
        == []
    )
    assert data["sites"]["a"]["users"] == 5 and data["wan"][0]["up"] is False
    assert data["circuits"] == {"c": {"up": True, "links": {"primary": {"up": False}}}}
    assert apply_set(data, {"sites.a.users": None}) == [] and "users" not in data["sites"]["a"]
    assert apply_set(data, {"sites.a.location.lat": 1}) == []
    assert apply_set(data, {"wan.x": 1}) and apply_set(data, {"sites.a.location.lat.x": 1})


def test_a_path_into_an_object_the_design_lacks_is_one_problem_naming_it() -> None:
    data = {"sites": {"dallas": {"users": 1}}, "circuits": {"dallas-er": {"up": True}}}
    assert apply_set(data, {"circuits.dalas-er.up": False}) == [
        "circuits.dalas-er.up: the design has no circuit named 'dalas-er'; did you mean "
        "'dallas-er'?"
    ]
    assert apply_set(data, {"breakouts.x.up": False}) == [
        "breakouts.x.up: the design has no breakout named 'x'"
    ]
    assert data == {"sites": {"dallas": {"users": 1}}, "circuits": {"dallas-er": {"up": True}}}
    # A whole object may be added.
    assert apply_set(data, {"sites.new": {"users": 2}}) == [] and data["sites"]["new"]
