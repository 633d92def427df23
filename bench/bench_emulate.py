"""Emulate many small random designs end to end and record what each stage costs.

For each design (``bench/gen_design.py``, mistakes included at ``--problems``): plan, build,
converge, probe, teardown times; flows, connections and the share completed; and the model
compared with the emulation flow by flow (``erplan.analyses.agreement``): how many flows agree
and, for each that does not, the checks it fails and the emulation's evidence. A design is
reproduced by ``gen_design.generate(sites, circuits, seed=seed, problems=...)`` from its row.
Root, FRR and nftables needed.

Usage: sudo .venv/bin/python bench/bench_emulate.py --count 100 --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ruamel.yaml import YAML

import gen_design
from erplan.catalogs import load_catalogs
from erplan.load import load_mapping


def model_flows(loaded: Any, catalogs: Any) -> list[dict[str, Any]]:
    """The model's flows in the comparison format of docs/flow-semantics.md (one dict per flow
    key: verdict, share affected, branches with their edges). ``Report.to_dict`` groups flows
    into rows (``keys``), which ``comparable`` rightly refuses; ``per_flow`` is the format."""
    from erplan.analyses.agreement import comparable
    from erplan.analyses.verdicts import verify

    flows = verify(loaded, catalogs).per_flow()
    if not comparable(flows):
        raise ValueError("the model's flows are not in the comparison format")
    return flows


def one(
    index: int, sites: int, circuits: int, seed: int, problems: float, connections: int
) -> dict[str, Any]:
    from erplan.analyses.agreement import compare
    from erplan.emulate.run import emulate

    catalogs = load_catalogs()
    text = gen_design.generate(sites, circuits, seed=seed, problems=problems)
    loaded = load_mapping(YAML(typ="safe", pure=True).load(text), f"random-{seed}", catalogs)
    row: dict[str, Any] = {"index": index, "sites": sites, "circuits": circuits, "seed": seed}
    t0 = time.monotonic()
    try:
        report = emulate(loaded.design, catalogs, connections=connections, seed=seed)
    except Exception as exc:  # a failed design is a result too: record it and go on
        row.update(error=f"{type(exc).__name__}: {exc}", total_s=round(time.monotonic() - t0, 3))
        return row
    t = report.timings
    attempted = sum(f.attempted for f in report.flows)
    completed = sum(f.completed for f in report.flows)
    row.update(
        build_s=round(t.build_s, 3),
        converge_s=round(t.converge_s, 3),
        probe_s=round(t.probe_s, 3),
        teardown_s=round(t.teardown_s, 3),
        total_s=round(time.monotonic() - t0, 3),
        flows=len(report.flows),
        not_emulated=len(report.problems),
        connections=attempted,
        completed_share=round(completed / attempted, 4) if attempted else None,
    )
    result = compare(model_flows(loaded, catalogs), [f.to_dict() for f in report.flows])
    row["agreement"] = {
        "agree": len(result.flows) - len(result.disagreements),
        "disagree": len(result.disagreements),
    }
    if result.disagreements:
        row["disagreements"] = [
            {
                "key": fa.key,
                "checks": [
                    f"{c.name}: model {c.model} / emulation {c.emulation} {c.detail}".strip()
                    for c in fa.disagreements
                ],
                "evidence": list((fa.emulation or {}).get("evidence", []))[:6],
            }
            for fa in result.disagreements
        ]
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]
    out: dict[str, Any] = {"designs": len(rows), "failed": len(rows) - len(ok)}
    for key in ("build_s", "converge_s", "probe_s", "teardown_s", "total_s"):
        values = sorted(r[key] for r in ok)
        if values:
            out[key] = {
                "median": round(statistics.median(values), 2),
                "p90": round(values[max(0, math.ceil(0.9 * len(values)) - 1)], 2),
                "max": round(values[-1], 2),
            }
    agreed = [r["agreement"] for r in ok]
    out["agreement"] = {
        "agree": sum(a["agree"] for a in agreed),
        "disagree": sum(a["disagree"] for a in agreed),
        "designs_disagreeing": sum(1 for a in agreed if a["disagree"]),
    }
    out["flows"] = sum(r["flows"] for r in ok)
    out["connections"] = sum(r["connections"] for r in ok)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--count", type=int, default=100, help="designs to emulate (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the batch (default 1)")
    ap.add_argument("--problems", type=float, default=0.2, help="mistake rate (default 0.2)")
    ap.add_argument("--connections", type=int, default=8, help="connections per flow")
    ap.add_argument("--json", type=Path, help="write every row and the summary here")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    rows: list[dict[str, Any]] = []
    for i in range(args.count):
        sites, circuits = rng.randint(2, 6), rng.randint(1, 4)
        row = one(i, sites, circuits, rng.randrange(1_000_000), args.problems, args.connections)
        rows.append(row)
        print(json.dumps(row), flush=True)
    doc: dict[str, Any] = {"summary": summary(rows), "rows": rows}
    print(json.dumps(doc["summary"], indent=1))
    if args.json is not None:
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
    return 1 if doc["summary"]["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
