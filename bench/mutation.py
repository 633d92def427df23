"""Mutation testing of the verdict layer and the engine: how many deliberate defects the fast
semantic tests catch.

Runs mutmut (pinned in the ``mutation`` extra: ``pip install -e '.[mutation]'``) over one
module at a time, as configured in pyproject.toml ``[tool.mutmut]`` (which tests run, which
files may be mutated), and prints a Markdown row per module: mutants, killed, survived,
timeouts, score, run time. Results are kept in ``mutants/`` between runs, so a module already
run is only counted again; ``--fresh`` starts over. bench/README.md records the figures and
the reason each survivor is left.

    nice .venv/bin/python bench/mutation.py                      # the verdict layer
    nice .venv/bin/python bench/mutation.py engine.sessions engine.connect
    nice .venv/bin/python bench/mutation.py engine.__init__       # the package's own module
    nice .venv/bin/python bench/mutation.py engine.tracer --sample 8   # 8 more, at random
    nice .venv/bin/python bench/mutation.py engine.network --sample 60 --seed 4 \
        --skip 'erplan.engine.network.xǁNetworkǁwith_down__*' --drawn /tmp/drawn.txt
    .venv/bin/python bench/mutation.py --report-only --survivors /tmp/survivors.txt
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = (
    "analyses.astray_causes",
    "analyses.failure_causes",
    "analyses.flow_findings",
    "analyses.judge",
    "analyses.offers",
    "analyses.reply_causes",
    "analyses.verdicts",
)
# Statuses that count as caught: a failing test, or a mutant that never finishes.
CAUGHT = ("killed", "timeout")
LINE = re.compile(r"^\s*(erplan\.\S+?)__mutmut_\d+: (.+)$")


def _mutmut() -> str:
    exe = Path(sys.executable).with_name("mutmut")
    if not exe.exists():
        sys.exit("mutmut is not installed: pip install -e '.[mutation]'")
    return str(exe)


def _module_of(mutant: str) -> str:
    """erplan.analyses.judge.xǁJudgeǁfailure -> analyses.judge (the module part); a package's
    own module is named as mutmut leaves it out: erplan.engine.xǁEngineǁgroups ->
    engine.__init__."""
    parts = mutant.split(".")
    mod = ".".join(p for p in parts[1:] if not p.startswith("x"))
    if (ROOT / "src" / "erplan" / mod.replace(".", "/") / "__init__.py").exists():
        return f"{mod}.__init__"
    return mod


def _pattern(module: str) -> str:
    """The mutants of ``module``: engine.__init__ -> erplan.engine.x* (mutmut names a
    package's own functions after the package)."""
    package, dot, last = module.rpartition(".")
    if last == "__init__" and dot:
        return f"erplan.{package}.x*"
    return f"erplan.{module}.*"


def results() -> dict[str, Counter[str]]:
    """Status counts per module, from mutmut's stored results."""
    out = subprocess.run(
        [_mutmut(), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[str, Counter[str]] = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            counts.setdefault(_module_of(m.group(1)), Counter())[m.group(2).strip()] += 1
    return counts


def survivors(modules: tuple[str, ...]) -> list[str]:
    out = subprocess.run(
        [_mutmut(), "results"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    names = []
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if status == "survived" and _module_of(name.split("__mutmut_")[0]) in modules:
            names.append(name)
    return names


def unchecked(module: str) -> list[str]:
    """The mutants of ``module`` not checked yet, by name."""
    out = subprocess.run(
        [_mutmut(), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = []
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if status == "not checked" and _module_of(name.split("__mutmut_")[0]) == module:
            names.append(name)
    return names


def _draw(modules: tuple[str, ...], n: int, seed: int, skip: list[str]) -> list[str]:
    """``n`` unchecked mutants of ``modules`` drawn at random, leaving out those ``skip``
    matches."""
    left = sorted(
        name
        for module in modules
        for name in unchecked(module)
        if not any(fnmatchcase(name, p) for p in skip)
    )
    names = random.Random(seed).sample(left, min(n, len(left)))
    print(f"{' '.join(modules)}: {len(names)} of {len(left)} unchecked drawn (seed {seed})")
    return names


def _run(names: list[str], max_children: int) -> None:
    subprocess.run(
        [_mutmut(), "run", "--max-children", str(max_children), *names],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def row(module: str, c: Counter[str], seconds: float | None) -> str:
    checked = sum(n for s, n in c.items() if s not in ("not checked", "skipped"))
    caught = sum(c[s] for s in CAUGHT)
    score = f"{100 * caught / checked:.1f} %" if checked else "—"
    took = "—" if seconds is None else f"{seconds / 60:.1f} min"
    return (
        f"| {module} | {sum(c.values())} | {c['killed']} | {c['survived']} | {c['timeout']} "
        f"| {c['no tests']} | {score} | {took} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", default=list(DEFAULT), help="e.g. analyses.judge")
    ap.add_argument("--fresh", action="store_true", help="forget earlier results")
    ap.add_argument("--report-only", action="store_true", help="count stored results only")
    ap.add_argument("--survivors", type=Path, help="write the surviving mutants' names here")
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="check N more mutants of each module, drawn at random among those not checked",
    )
    ap.add_argument(
        "--seed",
        type=int,
        help="the sample's seed (printed; by default a new one each run)",
    )
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="PATTERN",
        help="leave out of the sample the mutants whose names match (checked in a run whose "
        "results are no longer stored); may be repeated",
    )
    ap.add_argument(
        "--together",
        action="store_true",
        help="draw the N of --sample from the modules' unchecked mutants together, not N each",
    )
    ap.add_argument("--drawn", type=Path, help="append the names drawn for the sample here")
    args = ap.parse_args()
    # A fresh seed unless one is given, printed so that the draw can be repeated.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    modules = tuple(args.modules)
    if args.fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    took: dict[str, float] = {}
    if args.sample and not args.report_only:
        # One run for every module's sample: each run of mutmut starts with a clean pass of
        # the tests its mutants need (minutes on a loaded machine).
        start = time.monotonic()
        groups = [modules] if args.together else [(m,) for m in modules]
        drawn = [n for g in groups for n in _draw(g, args.sample, seed, args.skip)]
        if drawn:
            if args.drawn:
                with args.drawn.open("a") as out:
                    out.write("".join(f"{n}\n" for n in drawn))
            _run(drawn, args.max_children)
        took["all"] = time.monotonic() - start
    for module in [] if args.report_only or args.sample else modules:
        start = time.monotonic()
        _run([_pattern(module)], args.max_children)
        took[module] = time.monotonic() - start
    counts = results()
    print("| module | mutants | killed | survived | timeout | no tests | score | time |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for module in modules:
        c = counts.get(module, Counter())
        total += c
        print(row(module, c, took.get(module)))
    if len(modules) > 1:
        print(row("all", total, sum(took.values()) if took else None))
    elif "all" in took:
        print(f"run time {took['all'] / 60:.1f} min")
    if args.survivors:
        args.survivors.write_text("".join(f"{n}\n" for n in survivors(modules)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
