"""The failure sweep: every single failure (or pair), run where the user asks: in this process,
on local worker processes (``jobs``), or on a Dask cluster (``scheduler``, the optional extra
``erplan[dask]``). The cases are independent; each worker traces the baseline once and then
recomputes only what each failure changes.
"""

from __future__ import annotations

import gc
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from erplan.analyses.failure_atoms import KINDS, Atom, atoms
from erplan.analyses.failures import Baseline, evaluate
from erplan.analyses.impact import Impact, impact
from erplan.catalogs import Catalogs, load_catalogs
from erplan.model import Design

Case = tuple[Atom, ...]
Progress = Callable[[int], None]
T = TypeVar("T")


def cases(design: Design, depth: int = 1, kinds: Iterable[str] = KINDS) -> list[Case]:
    """Every single failure, and with ``depth`` 2 every pair of them (a pair where one
    failure already contains the other is left out: a circuit and its own link or location)."""
    singles = atoms(design, kinds)
    out: list[Case] = [(a,) for a in singles]
    if depth >= 2:
        for a, b in itertools.combinations(singles, 2):
            if not _contains(design, a, b) and not _contains(design, b, a):
                out.append((a, b))
    return out


def _contains(design: Design, a: Atom, b: Atom) -> bool:
    """Whether failure ``a`` already takes down what ``b`` does."""
    if a.kind == "location":
        if b.kind == "circuit":
            return design.circuits[b.name].peering_location == a.name
        if b.kind == "link":
            return design.circuits[b.name.rpartition("/")[0]].peering_location == a.name
    if a.kind == "circuit" and b.kind == "link":
        return b.name.rpartition("/")[0] == a.name
    return False


def rank(results: Iterable[Impact]) -> list[Impact]:
    """Most users affected first; then flows broken; then the failure's name."""
    return sorted(
        results,
        key=lambda i: (
            -i.users_affected,
            -sum(c.flows for c in i.changes if c.worse),
            -i.users_moved,
            i.key,
        ),
    )


def same_effect(design: Design, todo: Sequence[Case]) -> list[list[Case]]:
    """The cases grouped by what they take down, in the order each group first appears: a
    peering location is the failure of its circuits, so a location with one circuit and that
    circuit fail alike (``failure_atoms.apply`` makes the same design, and ``evaluate`` reads only
    that design and the elements down, never the order of the atoms)."""
    groups: dict[tuple[Atom, ...], list[Case]] = {}
    for case in todo:
        down: set[Atom] = set()
        for a in case:
            if a.kind == "location":
                down |= {
                    Atom("circuit", c)
                    for c, x in design.circuits.items()
                    if x.peering_location == a.name
                }
            else:
                down.add(a)
        # A location with several circuits stays as it is: as their pair it would no longer be
        # a single failure (``evaluate`` reads that).
        key = tuple(sorted(down)) if len(down) == len(case) else case
        groups.setdefault(key, []).append(case)
    return list(groups.values())


def _impacts(base: Baseline, group: Sequence[Case]) -> list[Impact]:
    """The impact of every case of a group that fails alike, evaluated once."""
    out = evaluate(base, group[0])
    return [impact(base, replace(out, atoms=case)) for case in group]


def run(
    base: Baseline,
    todo: Sequence[Case],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    endpoints: Path | None = None,
    progress: Progress | None = None,
) -> list[Impact]:
    """Every case's impact, in the order of ``todo``."""
    groups = same_effect(base.design, todo)
    if scheduler is not None:
        got = _on_dask(base, groups, scheduler, endpoints, progress)
    else:
        got = _local(base, groups, jobs, progress)
    at = {case: n for n, case in enumerate(todo)}
    return sorted(got, key=lambda i: at[i.atoms])


def _local(
    base: Baseline, groups: list[list[Case]], jobs: int, progress: Progress | None
) -> list[Impact]:
    # The baseline lives through the sweep: the collector need not scan it again and again
    # (a third of the time of a device failure), nor touch its pages in forked workers.
    gc.freeze()
    try:
        if jobs <= 1 or len(groups) < 2:
            out = []
            for group in groups:
                got = _impacts(base, group)
                out.extend(got)
                if progress is not None:
                    progress(len(got))
            return out
        prepare(base, groups)
        gc.freeze()  # what ``prepare`` added, too
        return _on_processes(base, groups, jobs, progress)
    finally:
        gc.unfreeze()


def prepare(base: Baseline, groups: Sequence[Sequence[Case]]) -> None:
    """Before forking: what every worker would otherwise work out for itself from the
    baseline, worked out once and inherited. The baseline judge's fastest-egress tables run
    to their end (each failure repairs them from the whole table), and which slow rows each
    WAN link concerns."""
    if base.judge is not None:
        for key in list(base.judge.starts):
            base.judge.table(key)
    if any(a.kind == "wan" for group in groups for a in group[0]):
        base.slow.prepare()


# -- local processes --------------------------------------------------------------------------
_BASE: Baseline | None = None  # set in the parent before forking; inherited by the workers


def _chunks(todo: Sequence[T], n: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(todo), n):
        yield todo[i : i + n]


def _many(chunk: Sequence[Sequence[Case]]) -> list[Impact]:
    assert _BASE is not None
    return [i for group in chunk for i in _impacts(_BASE, group)]


def _on_processes(
    base: Baseline, groups: Sequence[Sequence[Case]], jobs: int, progress: Progress | None
) -> list[Impact]:
    global _BASE
    _BASE = base
    size = max(1, min(16, len(groups) // (jobs * 8) or 1))
    out: list[Impact] = []
    try:
        # fork: the workers inherit the traced baseline instead of tracing it again.
        ctx = get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for got in pool.map(_many, list(_chunks(groups, size))):
                out.extend(got)
                if progress is not None:
                    progress(len(got))
    finally:
        _BASE = None
    return out


# -- Dask -------------------------------------------------------------------------------------
_WORKER_BASES: dict[str, Baseline] = {}


def _dask_batch(
    token: str, design: Design, endpoints: str | None, batch: list[list[Case]]
) -> list[Impact]:
    base = _WORKER_BASES.get(token)
    if base is None:
        catalogs = load_catalogs(Path(endpoints) if endpoints else None)
        base = Baseline.build(design, catalogs)
        _WORKER_BASES.clear()  # one design at a time per worker
        _WORKER_BASES[token] = base
    return [i for group in batch for i in _impacts(base, group)]


def _on_dask(
    base: Baseline,
    groups: Sequence[list[Case]],
    scheduler: str,
    endpoints: Path | None,
    progress: Progress | None,
) -> list[Impact]:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("--scheduler needs Dask: pip install 'erplan[dask]'") from exc
    token = uuid.uuid4().hex
    dask: Any = distributed  # untyped package
    client: Any = dask.Client(scheduler, timeout="10s")
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        design = client.scatter(base.design, broadcast=True)
        size = max(1, min(64, len(groups) // (workers * 4) or 1))
        futures = [
            client.submit(
                _dask_batch,
                token,
                design,
                str(endpoints) if endpoints else None,
                list(batch),
                pure=False,
            )
            for batch in _chunks(groups, size)
        ]
        out: list[Impact] = []
        for fut in dask.as_completed(futures):
            got = fut.result()
            out.extend(got)
            if progress is not None:
                progress(len(got))
        return out
    finally:
        client.close()


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


# -- the report ---------------------------------------------------------------------------------
# `erplan report` sweeps the failures a reader asks about first ("who is affected if Amsterdam
# goes down?"); `erplan failures` covers the rest (WAN links, devices, resolvers, pairs).
REPORT_KINDS = ("circuit", "link", "location", "breakout")
_REPORTED: tuple[object, Baseline, list[Impact]] | None = None


def report_sweep(
    design: Design, catalogs: Catalogs, report: object
) -> tuple[Baseline, list[Impact]]:
    """The baseline and the ranked single failures of ``REPORT_KINDS``, computed once per
    report: the failures and the bandwidth sections share them."""
    global _REPORTED
    if _REPORTED is None or _REPORTED[0] is not report:
        base = Baseline.build(design, catalogs)
        _REPORTED = (report, base, rank(run(base, cases(design, 1, REPORT_KINDS))))
    return _REPORTED[1], _REPORTED[2]
