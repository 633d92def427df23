"""A circuit link's failure: the rows derived from their baseline trace (link_failure.py) are
the rows a fresh engine of the failed design traces, for every link failure of every example
and of two generated designs with mistakes; and the rows that may not be derived are not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from erplan.analyses.failure_atoms import Atom, apply, atoms
from erplan.analyses.failures import Baseline, crossing, down_keys, evaluate, origin_groups
from erplan.analyses.link_failure import derived_trace, failed_link
from erplan.analyses.summary import state_of
from erplan.analyses.verdicts import Verdicts
from erplan.catalogs import load_catalogs
from erplan.engine import Engine
from erplan.load import load_design, load_text
from erplan.model import Design

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GENERATED = {"generated-30": (30, 4, 1, 0.3), "generated-60": (60, 6, 5, 0.1)}


def _design(name: str) -> Design:
    catalogs = load_catalogs()
    if name in GENERATED:
        sys.path.insert(0, str(ROOT / "bench"))
        from gen_design import generate  # type: ignore[import-not-found]

        return load_text(generate(*GENERATED[name]), "gen.yaml", catalogs).design
    return load_design(ROOT / "examples" / f"{name}.yaml", catalogs).design


def _derived(base: Baseline, atom: Atom) -> tuple[int, int]:
    """Every row of the origins the link failure reaches that ``derived_trace`` derives,
    judged in the failed state, against the row a fresh engine traces and judges. Returns
    (rows derived, rows whose state differs from the baseline's)."""
    link = failed_link(base, atom.kind, atom.name)
    if link is None:
        return 0, 0
    down = down_keys(base, (atom,))
    fresh = Engine(apply(base.design, (atom,)), base.catalogs)
    verdicts = Verdicts(fresh)
    derived = moved = 0
    for flows in origin_groups(fresh, crossing(base, down), base.resolving):
        t = derived_trace(base, flows, down, link)
        if t is None:
            continue
        got = state_of(fresh, verdicts.result(tuple(flows), t))
        want = state_of(fresh, verdicts.result(tuple(flows), fresh.trace(flows[0])))
        assert got == want, (atom, flows[0].key)
        derived += 1
        moved += got != base.by_key[flows[0].key]
    return derived, moved


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES] + sorted(GENERATED))
def test_a_row_derived_after_a_link_failure_is_a_fresh_engines(name: str) -> None:
    catalogs = load_catalogs()
    design = _design(name)
    base = Baseline.build(design, catalogs)
    derived = moved = 0
    for atom in atoms(design, ["link"]):
        d, m = _derived(base, atom)
        derived, moved = derived + d, moved + m
        # The whole failed state, derived rows and all, as tracing everything again.
        assert evaluate(base, (atom,)).by_key == evaluate(base, (atom,), full=True).by_key, atom
    if name in GENERATED:
        # Rows are derived, and their paths move to the other link: the check can fail.
        assert derived > 0 and moved > 0


def test_a_link_with_its_own_pool_or_a_circuit_down_is_walked_again() -> None:
    design = _design("g000-per-link-pools")
    base = Baseline.build(design, load_catalogs())
    links = atoms(design, ["link"])
    assert links and all(failed_link(base, a.kind, a.name) is None for a in links)
    gen = _design("generated-30")
    gbase = Baseline.build(gen, load_catalogs())
    circuit = next(iter(gen.circuits))
    assert failed_link(gbase, "link", f"{circuit}/primary") is not None
    assert failed_link(gbase, "circuit", circuit) is None
    # With the secondary link already down, the primary's failure takes the circuit down.
    one = Baseline.build(apply(gen, (Atom("link", f"{circuit}/secondary"),)), load_catalogs())
    assert failed_link(one, "link", f"{circuit}/primary") is None
