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
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from erplan.analyses.failures import KINDS, Atom, Baseline, atoms, evaluate
from erplan.analyses.impact import Impact, impact
from erplan.catalogs import Catalogs, load_catalogs
from erplan.model import Design

Case = tuple[Atom, ...]
Progress = Callable[[int], None]


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


def run(
    base: Baseline,
    todo: Sequence[Case],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    endpoints: Path | None = None,
    progress: Progress | None = None,
) -> list[Impact]:
    if scheduler is not None:
        return _on_dask(base, todo, scheduler, endpoints, progress)
    # The baseline lives through the sweep: the collector need not scan it again and again
    # (a third of the time of a device failure), nor touch its pages in forked workers.
    gc.freeze()
    try:
        if jobs <= 1 or len(todo) < 2:
            out = []
            for case in todo:
                out.append(impact(base, evaluate(base, case)))
                if progress is not None:
                    progress(1)
            return out
        return _on_processes(base, todo, jobs, progress)
    finally:
        gc.unfreeze()


# -- local processes --------------------------------------------------------------------------
_BASE: Baseline | None = None  # set in the parent before forking; inherited by the workers


def _one(case: Case) -> Impact:
    assert _BASE is not None
    return impact(_BASE, evaluate(_BASE, case))


def _chunks(todo: Sequence[Case], n: int) -> Iterator[Sequence[Case]]:
    for i in range(0, len(todo), n):
        yield todo[i : i + n]


def _many(chunk: Sequence[Case]) -> list[Impact]:
    return [_one(c) for c in chunk]


def _on_processes(
    base: Baseline, todo: Sequence[Case], jobs: int, progress: Progress | None
) -> list[Impact]:
    global _BASE
    _BASE = base
    size = max(1, min(16, len(todo) // (jobs * 8) or 1))
    out: list[Impact] = []
    try:
        # fork: the workers inherit the traced baseline instead of tracing it again.
        ctx = get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for got in pool.map(_many, list(_chunks(todo, size))):
                out.extend(got)
                if progress is not None:
                    progress(len(got))
    finally:
        _BASE = None
    return out


# -- Dask -------------------------------------------------------------------------------------
_WORKER_BASES: dict[str, Baseline] = {}


def _dask_batch(
    token: str, design: Design, endpoints: str | None, batch: list[Case]
) -> list[Impact]:
    base = _WORKER_BASES.get(token)
    if base is None:
        catalogs = load_catalogs(Path(endpoints) if endpoints else None)
        base = Baseline.build(design, catalogs)
        _WORKER_BASES.clear()  # one design at a time per worker
        _WORKER_BASES[token] = base
    return [impact(base, evaluate(base, c)) for c in batch]


def _on_dask(
    base: Baseline,
    todo: Sequence[Case],
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
        size = max(1, min(64, len(todo) // (workers * 4) or 1))
        futures = [
            client.submit(
                _dask_batch,
                token,
                design,
                str(endpoints) if endpoints else None,
                list(batch),
                pure=False,
            )
            for batch in _chunks(todo, size)
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
