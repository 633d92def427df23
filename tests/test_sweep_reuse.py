"""What the sweep takes from the baseline instead of working it out again: cases that take
down the same elements are evaluated once, and the rows of a traced origin that cross nothing
down keep the baseline's trace. Both must give what evaluating each case on its own, and a
full recompute, give."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from erplan.analyses import sweep
from erplan.analyses.failed_state import kept_row
from erplan.analyses.failure_atoms import Atom
from erplan.analyses.failures import Baseline, crossing, down_keys, evaluate
from erplan.analyses.impact import impact
from erplan.analyses.sweep import cases, run, same_effect
from erplan.catalogs import load_catalogs
from erplan.load import load_design, load_text

ROOT = Path(__file__).resolve().parent.parent
HA = ROOT / "examples" / "g001-sharepoint-outbound.yaml"
NAT_OVER_ER = ROOT / "examples" / "g000-internet-nat-over-expressroute.yaml"


@cache
def baseline(path: Path) -> Baseline:
    catalogs = load_catalogs()
    return Baseline.build(load_design(path, catalogs).design, catalogs)


def _each_alone(b: Baseline, todo: list[tuple[Atom, ...]]) -> list[dict[str, object]]:
    return [impact(b, evaluate(b, case)).to_dict() for case in todo]


def test_a_location_with_one_circuit_is_evaluated_once_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = baseline(HA)
    todo = cases(b.design, depth=2)
    groups = same_effect(b.design, todo)
    chicago = next(g for g in groups if (Atom("circuit", "chicago-er"),) in g)
    assert chicago == [(Atom("circuit", "chicago-er"),), (Atom("location", "Chicago"),)]
    calls: list[tuple[Atom, ...]] = []
    real = evaluate

    def counting(base: Baseline, case: tuple[Atom, ...]) -> object:
        calls.append(case)
        return real(base, case)

    monkeypatch.setattr(sweep, "evaluate", counting)
    got = run(b, todo)
    assert len(calls) == len(groups) < len(todo)
    assert [i.atoms for i in got] == todo  # in the order asked
    monkeypatch.undo()
    assert [i.to_dict() for i in got] == _each_alone(b, todo)


def test_a_location_with_two_circuits_stays_a_single_failure() -> None:
    """As the pair of its circuits it would not be a single point of failure."""
    catalogs = load_catalogs()
    text = HA.read_text().replace("peering_location: Dallas", "peering_location: Chicago")
    b = Baseline.build(load_text(text, "ha.yaml", catalogs).design, catalogs)
    todo = cases(b.design, depth=2)
    location = (Atom("location", "Chicago"),)
    pair = (Atom("circuit", "chicago-er"), Atom("circuit", "dallas-er"))
    assert pair in todo
    groups = same_effect(b.design, todo)
    assert [location] in groups and [pair] in groups
    got = {i.atoms: i for i in run(b, todo)}
    assert got[location].spof and not got[pair].spof
    assert [got[c].to_dict() for c in todo] == _each_alone(b, todo)


def test_rows_that_cross_nothing_down_are_kept() -> None:
    """A circuit failure traces again only the rows that cross it; its origins' other rows
    are the baseline's, and everything agrees with a full recompute."""
    b = baseline(HA)
    failed = (Atom("circuit", "chicago-er"),)
    down = down_keys(b, failed)
    origins = crossing(b, down)
    rows = sum(len(b.rows_of[o]) for o in origins)
    out = evaluate(b, failed)
    assert 0 < out.retraced_rows < rows
    full = evaluate(b, failed, full=True)
    assert {
        k: (s.verdict, s.share, s.cause, s.edges, s.latency_ms, s.paths)
        for k, s in out.by_key.items()
    } == {
        k: (s.verdict, s.share, s.cause, s.edges, s.latency_ms, s.paths)
        for k, s in full.by_key.items()
    }


def test_a_failing_row_is_traced_again_even_when_it_lists_nothing_down() -> None:
    """The reply of this row is dropped by the firewall on the circuit, which its trace does
    not list: a failing path may end at an element it does not name, so the row is traced
    again, and the sweep's answer is the full re-trace's (with the firewall down the reply is
    dropped one router earlier, at the customer edge that never saw the connection)."""
    b = baseline(NAT_OVER_ER)
    failed = (Atom("device", "er-edge"),)
    down = down_keys(b, failed)
    i = b.row_at["out/hq/8"]
    assert not b.row_keys[i] & down
    assert not all(br.outcome.works for br in b.results[i].trace.branches)
    assert kept_row(b, b.results[i].flows, down) is None
    swept = evaluate(b, failed).by_key["out/hq/8"]
    assert swept == evaluate(b, failed, full=True).by_key["out/hq/8"]
    assert (swept.verdict, b.results[i].cause_key) == ("dropped", "internet-nat-overlap")
