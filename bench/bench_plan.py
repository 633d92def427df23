"""Benchmark of the planning analyses on a synthetic global design (bench/gen_design.py).

1. The meet-me optimizer: 1,000 sites x every peering location of the catalog (105), the exact
   p-median solved by HiGHS for K circuits, with the sites' internet figures (the real problem)
   and without them (a pure p-median, every site on some circuit: the hard case).
2. The single-failure sweep: the baseline trace, then every single failure, incrementally, on
   1 and on ``--jobs`` local processes; and on a sample, incremental against a full recompute
   (paired: each failure both ways, alternating), the ratio per failure kind.
3. Import time of the command line, in fresh interpreters, alternating with an import of the
   optimizer's solver, so the cost of scipy is seen apart.

    .venv/bin/python bench/bench_plan.py --sites 1000 --circuits 20 --jobs 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from erplan.analyses.failure_atoms import atoms  # noqa: E402
from erplan.analyses.failures import Baseline, evaluate  # noqa: E402
from erplan.analyses.meetme import meetme  # noqa: E402
from erplan.analyses.optimize import build, solve  # noqa: E402
from erplan.analyses.sweep import cases, run  # noqa: E402
from erplan.catalogs import load_catalogs  # noqa: E402
from erplan.load import load_design  # noqa: E402
from gen_design import generate  # noqa: E402


def _t(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    got = fn()
    return time.perf_counter() - t, got


def _cpu(fn: Any) -> tuple[float, float, Any]:
    """Wall time and CPU time (this process and its finished children) of ``fn``: the machine
    may be shared, and CPU time is the steadier figure."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, got = _t(fn)
    own2 = resource.getrusage(resource.RUSAGE_SELF)
    kids2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)
        for a, b in ((own, own2), (kids, kids2))
    )
    return wall, cpu, got


def optimizer(base: Baseline, ks: list[int], limit: float) -> dict[str, Any]:
    cat = base.catalogs
    took, table = _t(lambda: meetme(base.engine, base.results))
    names = [p.name for p in cat.peering_locations]
    built, problem = _t(lambda: build(base.engine, table, names))
    pairs = sum(
        1
        for s, c in enumerate(problem.cost)
        for x in c.values()
        if problem.internet[s] is None or x < problem.internet[s]  # type: ignore[operator]
    )
    pure = dataclasses.replace(problem, internet=tuple(None for _ in problem.sites))
    out: dict[str, Any] = {
        "sites": len(problem.sites),
        "locations": len(problem.facilities),
        "meetme_s": round(took, 3),
        "build_s": round(built, 3),
        "pairs_with_internet": pairs,
        "pairs_pure": sum(len(c) for c in pure.cost),
        "runs": [],
    }
    for k in ks:
        for label, p in (("with internet", problem), ("pure p-median", pure)):
            for redundant in (False, True):
                s = solve(p, k, redundant=redundant, time_limit=limit)
                out["runs"].append(
                    {
                        "k": k,
                        "problem": label,
                        "redundant": redundant,
                        "seconds": round(s.seconds, 3),
                        "user_weighted_ms": round(s.weighted_ms, 3),
                        "open": len(s.open),
                        "status": s.status,
                    }
                )
                print(json.dumps(out["runs"][-1]), flush=True)
    return out


def sweep(base: Baseline, jobs: int, sample: int, seed: int) -> dict[str, Any]:
    todo = cases(base.design)
    kinds: dict[str, int] = defaultdict(int)
    for c in todo:
        kinds[c[0].kind] += 1
    out: dict[str, Any] = {"failures": len(todo), "by_kind": dict(kinds)}
    # One process, kind by kind (the same cases in the same order as the whole sweep).
    per_kind: dict[str, dict[str, float]] = {}
    for kind in kinds:
        mine = [c for c in todo if c[0].kind == kind]
        wall, cpu, _ = _cpu(lambda mine=mine: run(base, mine, jobs=1))
        per_kind[kind] = {
            "n": len(mine),
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "cpu_ms_per_failure": round(1000 * cpu / len(mine), 1),
        }
        print(kind, per_kind[kind], flush=True)
    out["serial_by_kind"] = per_kind
    out["serial"] = {
        "wall_s": round(sum(k["wall_s"] for k in per_kind.values()), 2),
        "cpu_s": round(sum(k["cpu_s"] for k in per_kind.values()), 2),
    }
    print("serial sweep", out["serial"], flush=True)
    if jobs > 1:
        wall, cpu, _ = _cpu(lambda: run(base, todo, jobs=jobs))
        out[f"jobs_{jobs}"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        print(f"sweep on {jobs} processes", out[f"jobs_{jobs}"], flush=True)
    rng = random.Random(seed)
    singles = atoms(base.design)
    by: dict[str, list[Any]] = defaultdict(list)
    for a in singles:
        by[a.kind].append(a)
    paired: dict[str, dict[str, float]] = {}
    for kind, items in sorted(by.items()) if sample > 0 else ():
        picked = rng.sample(items, min(sample, len(items)))
        inc = full = 0.0
        for i, a in enumerate(picked):  # alternate which runs first
            order = (True, False) if i % 2 == 0 else (False, True)
            for incremental in order:
                t, _ = _t(
                    lambda a=a, incremental=incremental: evaluate(base, (a,), full=not incremental)
                )
                if incremental:
                    inc += t
                else:
                    full += t
        n = len(picked)
        paired[kind] = {
            "n": n,
            "incremental_cpu_s": round(inc / n, 3),
            "full_cpu_s": round(full / n, 3),
            "ratio": round(full / inc, 1) if inc else 0.0,
        }
        print(kind, paired[kind], flush=True)
    out["per_failure"] = paired
    return out


def imports(runs: int) -> dict[str, Any]:
    def once(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t

    cli, solver, cli_modules = [], [], []
    for _ in range(runs):  # alternating, so load on the machine hits both alike
        cli.append(once("import erplan.cli"))
        solver.append(once("import erplan.cli, scipy.optimize"))
    probe = (
        "import sys, erplan.cli; "
        "print(sorted(m for m in ('scipy', 'numpy', 'dask', 'distributed') if m in sys.modules))"
    )
    got = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    cli_modules = got.stdout.strip()
    return {
        "runs": runs,
        "cli_median_s": round(statistics.median(cli), 3),
        "cli_and_scipy_median_s": round(statistics.median(solver), 3),
        "heavy_modules_loaded_by_cli": cli_modules,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--circuits", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--k", default="5,20", help="circuit budgets for the optimizer")
    ap.add_argument(
        "--sample", type=int, default=6, help="failures per kind, paired runs (0: none)"
    )
    ap.add_argument("--time-limit", type=float, default=600, help="per optimizer run, seconds")
    ap.add_argument("--import-runs", type=int, default=10)
    ap.add_argument("--skip", default="", help="comma-separated: optimizer, sweep, imports")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    skip = set(a.skip.split(",")) if a.skip else set()
    result: dict[str, Any] = {"sites": a.sites, "circuits": a.circuits, "seed": a.seed}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "design.yaml"
        path.write_text(generate(a.sites, a.circuits, a.seed))
        catalogs = load_catalogs()
        design = load_design(path, catalogs).design
        wall, cpu, base = _cpu(lambda: Baseline.build(design, catalogs))
        result["baseline"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        print("baseline", result["baseline"], flush=True)
        if "optimizer" not in skip:
            result["optimizer"] = optimizer(base, [int(k) for k in a.k.split(",")], a.time_limit)
        if "sweep" not in skip:
            result["sweep"] = sweep(base, a.jobs, a.sample, a.seed)
    if "imports" not in skip:
        result["imports"] = imports(a.import_runs)
        print("imports", result["imports"], flush=True)
    text = json.dumps(result, indent=2)
    if a.json:
        a.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
