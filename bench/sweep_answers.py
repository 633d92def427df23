"""Every single failure's answer (``Impact.to_dict()``), on bench_plan's generated design and on
every example, written to a JSON file; with ``--compare OLD.json``, every answer checked against
an earlier run's, failure by failure and field by field. A change to how a failed state is
derived must leave every answer as it was:

    .venv/bin/python bench/sweep_answers.py --out /tmp/before.json
    # ... change the code ...
    .venv/bin/python bench/sweep_answers.py --out /tmp/after.json --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from erplan.analyses.failures import Baseline  # noqa: E402
from erplan.analyses.sweep import cases, run  # noqa: E402
from erplan.catalogs import load_catalogs  # noqa: E402
from erplan.load import load_design, load_text  # noqa: E402
from gen_design import generate  # noqa: E402

EXAMPLES = sorted((HERE.parent / "examples").glob("*.yaml"))


def answers(generated: list[str], jobs: int) -> dict[str, dict[str, Any]]:
    catalogs = load_catalogs()
    designs = [(p.stem, load_design(p, catalogs).design) for p in EXAMPLES]
    for spec in generated:
        sites, circuits, seed, problems = spec.split(",")
        text = generate(int(sites), int(circuits), int(seed), float(problems))
        designs.append((f"generated-{spec}", load_text(text, "gen.yaml", catalogs).design))
    out: dict[str, dict[str, Any]] = {}
    for name, design in designs:
        base = Baseline.build(design, catalogs)
        got = run(base, cases(design), jobs=jobs)
        out[name] = {i.key: i.to_dict() for i in got}
        print(name, len(got), "failures", flush=True)
    return out


def compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for design in sorted(old.keys() | new.keys()):
        a, b = old.get(design), new.get(design)
        if a is None or b is None:
            problems.append(f"{design}: only in {'new' if a is None else 'old'}")
            continue
        for key in sorted(a.keys() | b.keys()):
            x, y = a.get(key), b.get(key)
            if x != y:
                fields = sorted(
                    f
                    for f in (x or {}).keys() | (y or {}).keys()
                    if (x or {}).get(f) != (y or {}).get(f)
                )
                problems.append(f"{design}: {key}: differs in {', '.join(fields)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--compare", type=Path)
    ap.add_argument(
        "--generated",
        action="append",
        help="SITES,CIRCUITS,SEED,PROBLEMS of a generated design (repeatable; default: "
        "bench_plan's 1000,20,1,0.02 and a smaller one with more mistakes, 150,8,5,0.2)",
    )
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    new = answers(a.generated or ["1000,20,1,0.02", "150,8,5,0.2"], a.jobs)
    a.out.write_text(json.dumps(new, sort_keys=True) + "\n")
    if a.compare is None:
        return 0
    problems = compare(json.loads(a.compare.read_text()), new)
    for p in problems[:50]:
        print(p)
    total = sum(len(v) for v in new.values())
    print(f"{total} failures on {len(new)} designs; {len(problems)} differ")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
