"""Paired runs of `erplan verify`: two versions of the source, alternating, in fresh processes.

Each run is one child process; its CPU (user + system) and peak resident size come from
`wait4`, so a loaded machine inflates neither much (wall time is shown but not compared).
Runs alternate before, after, before, after... so that a change in the machine's load falls
on both alike; the medians and their ratio are printed as a Markdown table.

Both versions run under this interpreter, each from its own source directory put first on
PYTHONPATH; an older commit's source can be had with
`git archive COMMIT | tar -x -C DIR` (then `--before DIR/src`). Compile both beforehand
(`python -m compileall -q DIR/src`) where PYTHONDONTWRITEBYTECODE is set, or every run
compiles erplan's modules again.

Usage: python bench/paired.py --before DIR --after DIR [--pairs N] DESIGN[:json|:text] ...
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_verify import run_child  # noqa: E402

_MAIN = "import sys; from erplan.cli import main; sys.exit(main())"


def _argv(src: Path, design: str, fmt: str) -> list[str]:
    # `env` executes the interpreter in its own process: wait4 measures the interpreter.
    args = ["env", f"PYTHONPATH={src}", sys.executable, "-c", _MAIN, "verify", design]
    return args + (["--format", "json"] if fmt == "json" else [])


def _run(src: Path, design: str, fmt: str) -> tuple[float, float, float]:
    """(CPU s, peak RSS MB, wall s) of one run."""
    wall, peak, code, cpu = run_child(_argv(src, design, fmt), subprocess.DEVNULL, 3600)
    if code not in (0, 1):
        raise SystemExit(f"{design} ({fmt}) exited {code} with {src}")
    return cpu, peak, wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="source directory (src) before")
    ap.add_argument("--after", type=Path, required=True, help="source directory (src) after")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("designs", nargs="+", help="DESIGN, DESIGN:json or DESIGN:text")
    a = ap.parse_args(argv)
    print("| design | output | pairs | CPU before | after | ratio | peak before | after | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for spec in a.designs:
        design, _, fmt = spec.partition(":")
        fmt = fmt or "text"
        got: dict[str, list[tuple[float, float, float]]] = {"before": [], "after": []}
        for _ in range(a.pairs):
            for side, src in (("before", a.before), ("after", a.after)):
                got[side].append(_run(src.resolve(), design, fmt))
        cpu = {k: statistics.median(r[0] for r in v) for k, v in got.items()}
        peak = {k: statistics.median(r[1] for r in v) for k, v in got.items()}
        print(
            f"| {Path(design).name} | {fmt} | {a.pairs} "
            f"| {cpu['before']:.3f} s | {cpu['after']:.3f} s | {cpu['after'] / cpu['before']:.2f} "
            f"| {peak['before']:.1f} MB | {peak['after']:.1f} MB "
            f"| {peak['after'] / peak['before']:.2f} |",
            flush=True,
        )
        for side, runs in got.items():
            shown = ", ".join(f"{c:.3f}/{p:.0f}" for c, p, _ in runs)
            sys.stderr.write(f"  {side}: CPU s / peak MB: {shown}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
