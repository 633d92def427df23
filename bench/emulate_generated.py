"""Run the generated FRR + nftables files of every circuit edge of every shipped example in
network namespaces (``tests/emulation/test_generated_configs.py`` with
``ERPLAN_ALL_GENERATED=1``) and print the figures: edges, passed, failed, time per edge.

A design ``erplan generate frr`` refuses is listed with the generator's reason; an edge the
test network cannot build fails with its reason (a skip counts as a failure here). Afterwards it
checks that no namespace of the run is left. Root, FRR and nftables needed.

Usage: sudo nice .venv/bin/python bench/emulate_generated.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEST = ROOT / "tests" / "emulation" / "test_generated_configs.py"
sys.path.insert(0, str(ROOT / "tests"))

from _generated import CATALOGS, examples, loaded  # noqa: E402
from erplan.generators.registry import generate  # noqa: E402


def refusals() -> dict[str, list[str]]:
    """The examples ``erplan generate frr`` refuses, with its findings."""
    out: dict[str, list[str]] = {}
    for example in examples():
        got = generate(loaded(example), CATALOGS, ["frr"], f"{example}.yaml").refused
        if got:
            out[example] = [f.render() for why in got.values() for f in why]
    return out


def cases(report: Path) -> list[dict[str, Any]]:
    """One row per test case of the JUnit report: its edge, outcome, seconds, first reason."""
    rows = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        edge = name[name.find("[") + 1 : -1] if "[" in name else name
        outcome, why = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "failed" if tag != "skipped" else "skipped"
                why = (
                    (node.get("message") or "").splitlines()[0][:160] if node.get("message") else ""
                )
                break
        rows.append({"edge": edge, "outcome": outcome, "s": float(case.get("time", 0)), "why": why})
    return rows


def leftovers(pid: int) -> list[str]:
    """Namespaces of the run (named erp<pid>x...) still present."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(f"erp{pid}x")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    refused = refusals()
    env = dict(os.environ, ERPLAN_ALL_GENERATED="1", ERPLAN_REQUIRE_EMULATION="1")
    with tempfile.TemporaryDirectory(prefix="erplan-gen-") as tmp:
        report = Path(tmp) / "junit.xml"
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TEST)]
        argv += [f"--junitxml={report}", "-o", "junit_family=xunit2"]
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        output, _ = proc.communicate()
        wall = time.monotonic() - start
        rows = cases(report) if report.is_file() else []
    left = leftovers(proc.pid)
    passed = [r for r in rows if r["outcome"] == "passed"]
    times = [r["s"] for r in rows]
    for example, why in refused.items():
        print(f"refused  {example}: " + "; ".join(why))
    for r in rows:
        reason = f"  {r['why']}" if r["why"] else ""
        print(f"{r['outcome']:<8} {r['s']:6.1f} s  {r['edge']}{reason}")
    figures = {
        "examples": len(examples()),
        "refused": len(refused),
        "edges": len(rows),
        "passed": len(passed),
        "failed": len(rows) - len(passed),
        "wall_s": round(wall, 1),
        "per_edge_median_s": round(statistics.median(times), 1) if times else None,
        "per_edge_max_s": round(max(times), 1) if times else None,
        "namespaces_left": left,
    }
    print(json.dumps(figures))
    if not rows:
        print(output)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "edges": rows}, indent=2) + "\n")
    ok = rows and len(passed) == len(rows) and not left and proc.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
