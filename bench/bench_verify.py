"""Speed benchmark of `erplan verify` on synthetic global designs.

For each size it generates a design (bench/gen_design.py) into a temporary directory, then:

- runs `erplan verify FILE --format json` end to end in a fresh process several times (output to
  /dev/null), measuring wall time (min and median) and the child's peak memory (ru_maxrss from
  wait4, so each run is measured on its own);
- runs it once more into a file to count the flows traced (flows per second use the median);
- runs the stages separately in a fresh Python process (catalogs, load, verify, JSON rendering)
  with whatever API exists, so a regression can be placed.

Targets: 1,000 sites with 20 circuits end to end < 2 s on 2 cores; time(10,000) <= 12 x
time(1,000); peak memory < 500 MB at 10,000 sites.

Usage: python bench/bench_verify.py [--quick] [--sites 100,1000,10000] [--circuits 20]
                                    [--runs 3] [--seed 1] [--json FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_design  # noqa: E402

TARGET_E2E_1000_S = 2.0
TARGET_SCALING = 12.0
TARGET_PEAK_MB_10000 = 500.0

# Runs the pipeline stage by stage in a fresh interpreter and prints one JSON object.
# Each stage is tried with the API that exists; a missing one is reported, not fatal.
_STAGE_SCRIPT = r"""
import json, signal, sys, time
from pathlib import Path
path, budget = Path(sys.argv[1]), int(sys.argv[2])
out = {}

class StageTimeout(Exception):
    pass

def _alarm(signum, frame):
    raise StageTimeout()

signal.signal(signal.SIGALRM, _alarm)

def stage(name, fn):
    # Each stage gets its own time budget so one slow stage does not hide the others.
    signal.alarm(budget)
    t = time.perf_counter()
    try:
        value = fn()
    except ImportError as exc:
        out[name + "_error"] = repr(exc)
        return None
    except StageTimeout:
        out[name + "_error"] = f"over {budget} s"
        return None
    finally:
        signal.alarm(0)
    out[name + "_s"] = time.perf_counter() - t
    return value

def _import():
    import erplan.model
    return erplan.model

def _catalogs():
    from erplan.catalogs import load_catalogs
    return load_catalogs()

model = stage("import", _import)
cat = stage("catalogs", _catalogs)

def _load():
    from erplan.load import load_design
    return load_design(path, cat)

loaded = stage("load", _load)

def _lint():
    from erplan.analyses.rules import lint
    found = lint(loaded, cat)
    out["lint_findings"] = len(found)

def _flows():
    from erplan.analyses.verdicts import rows
    from erplan.engine import Engine
    traced = rows(Engine(loaded.design, cat))
    out["flows"] = sum(len(r.flows) for r in traced)
    out["traces"] = len(traced)

def _verify():
    from erplan.analyses.verdicts import verify
    return verify(loaded, cat)

report = None
if loaded is not None:
    stage("lint", _lint)
    stage("flows", _flows)
    report = stage("verify", _verify)

def _render():
    from erplan import output
    if hasattr(report, "to_dict"):
        return output.dumps(report.to_dict())
    raise ImportError("the report has no to_dict()")

if report is not None:
    stage("render_json", _render)
import resource
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


@dataclass
class Result:
    sites: int
    circuits: int
    design_kb: float
    gen_s: float
    e2e_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    peak_mb: float = 0.0
    exit_code: int | None = None
    flows: int | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    report_mb: float | None = None

    @property
    def e2e_min(self) -> float | None:
        return min(self.e2e_s) if self.e2e_s else None

    @property
    def e2e_median(self) -> float | None:
        return statistics.median(self.e2e_s) if self.e2e_s else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_s) if self.cpu_s else None

    @property
    def flows_per_s(self) -> float | None:
        med = self.e2e_median
        return self.flows / med if self.flows and med else None


def erplan_command() -> list[str]:
    """The venv's console script next to this interpreter, else the entry point via -c."""
    script = Path(sys.executable).parent / "erplan"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from erplan.cli import main; main()"]


def _limit_memory(mb: int) -> Any:
    """A preexec hook capping the child's address space: a runaway size fails on its own
    instead of starving the machine (it shows as a non-zero exit, MemoryError)."""

    def apply() -> None:
        if mb > 0:
            resource.setrlimit(resource.RLIMIT_AS, (mb * 1024 * 1024, mb * 1024 * 1024))

    return apply


def run_child(
    argv: list[str], stdout: Any, timeout: float, mem_limit_mb: int = 0
) -> tuple[float, float, int, float]:
    """(wall s, peak RSS MB, exit code, CPU s) of one child process, measured on its own.

    CPU time (user + system) is reported beside wall time because a shared machine inflates
    wall time; the CPU figure stays comparable."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=_limit_memory(mem_limit_mb)
    )
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            raise TimeoutError(f"{' '.join(argv)} took more than {timeout:.0f} s")
        time.sleep(0.005)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode not in (0, 1) and err:
            sys.stderr.write(err[-2000:])
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, proc.returncode, cpu  # ru_maxrss is in KiB on Linux


def count_flows(report: Any) -> tuple[int | None, dict[str, int]]:
    """The number of flows in a verify JSON report, and how many of each verdict."""
    flows: list[Any] | None = None
    if isinstance(report, dict):
        summary = report.get("summary")
        if isinstance(summary, dict):
            for key in ("flows", "flow_count", "total"):
                if isinstance(summary.get(key), int):
                    return summary[key], _verdict_counts(summary)
        if isinstance(report.get("flows"), list):
            flows = report["flows"]
    if flows is None:
        return None, {}
    counts: dict[str, int] = {}
    for f in flows:
        v = f.get("verdict") if isinstance(f, dict) else None
        if isinstance(v, dict):
            v = v.get("verdict") or v.get("kind")
        if isinstance(v, str):
            counts[v] = counts.get(v, 0) + 1
    return len(flows), counts


def read_report(path: Path) -> Any:
    """The report, or only its summary when the file is large (a 10,000-site report with every
    flow can be gigabytes: the benchmark must not hold it in memory)."""
    if path.stat().st_size <= 64 * 1024 * 1024:
        return json.loads(path.read_text(encoding="utf-8"))
    with path.open(encoding="utf-8") as fh:
        head = fh.read(4 * 1024 * 1024)
    at = head.find('"summary"')
    start = head.find("{", at) if at >= 0 else -1
    if start < 0:
        raise ValueError("no summary in the first 4 MB of the report")
    summary, _ = json.JSONDecoder().raw_decode(head, start)
    return {"summary": summary}


def _verdict_counts(summary: dict[str, Any]) -> dict[str, int]:
    v = summary.get("by_verdict", summary.get("verdicts"))
    if not isinstance(v, dict):
        return {}
    return {str(k): int(n) for k, n in v.items() if n}


class _Skip(Exception):
    pass


def bench_size(
    sites: int,
    circuits: int,
    seed: int,
    runs: int,
    workdir: Path,
    timeout: float,
    stage_timeout: float,
    mem_limit_mb: int = 0,
    keep: bool = False,
    stages: bool = True,
) -> Result:
    design = workdir / f"design-{sites}.yaml"
    t = time.perf_counter()
    gen_design.write_atomic(design, gen_design.generate(sites, circuits, seed))
    gen_s = time.perf_counter() - t
    res = Result(sites, circuits, design.stat().st_size / 1024, gen_s)

    # Stages, in a fresh interpreter.
    try:
        if not stages:
            raise _Skip
        proc = subprocess.run(
            [sys.executable, "-c", _STAGE_SCRIPT, str(design), str(int(stage_timeout))],
            capture_output=True,
            text=True,
            timeout=timeout * 5,
            check=False,
            preexec_fn=_limit_memory(mem_limit_mb),
        )
        if proc.returncode == 0 and proc.stdout.strip():
            res.stages = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            res.stages = {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    except subprocess.TimeoutExpired:
        res.stages = {"error": f"timeout after {timeout * 5:.0f} s"}
    except _Skip:
        pass

    cmd = [*erplan_command(), "verify", str(design), "--format", "json"]
    report_file = workdir / f"report-{sites}.json"
    try:
        with report_file.open("wb") as fh:
            wall, peak, res.exit_code, cpu = run_child(cmd, fh, timeout, mem_limit_mb)
        if res.exit_code not in (0, 1):
            res.error = f"erplan verify exited {res.exit_code} (memory cap {mem_limit_mb} MB)"
            return res
        try:
            res.flows, res.verdicts = count_flows(read_report(report_file))
            res.report_mb = report_file.stat().st_size / 1024 / 1024
            if not keep:
                report_file.unlink()  # large at 10,000 sites; only the figures are kept
        except ValueError as exc:
            # Nothing to time: a run that prints no report measures nothing useful.
            res.error = f"erplan verify gave no JSON report ({exc})"
            return res
        # The first run (report to a page-cached file) counts as one of the timed runs.
        res.e2e_s.append(wall)
        res.cpu_s.append(cpu)
        res.peak_mb = peak
        with open(os.devnull, "wb") as null:
            for _ in range(runs - 1):
                wall, peak, _code, cpu = run_child(cmd, null, timeout, mem_limit_mb)
                res.e2e_s.append(wall)
                res.cpu_s.append(cpu)
                res.peak_mb = max(res.peak_mb, peak)
    except TimeoutError as exc:
        res.error = str(exc)
    return res


def _fmt(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None else format(v, spec)


def print_table(results: list[Result]) -> None:
    head = (
        f"{'sites':>6} {'circ':>4} {'KB':>6} {'gen s':>6} {'load s':>7} {'verify s':>8} "
        f"{'e2e min':>8} {'e2e med':>8} {'cpu med':>8} {'flows':>8} {'flows/s':>9} "
        f"{'peak MB':>8}  exit"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        st = r.stages
        load = st.get("load_s")
        print(
            f"{r.sites:>6} {r.circuits:>4} {r.design_kb:>6.0f} {r.gen_s:>6.2f} "
            f"{_fmt(load):>7} {_fmt(st.get('verify_s')):>8} "
            f"{_fmt(r.e2e_min):>8} {_fmt(r.e2e_median):>8} {_fmt(r.cpu_median):>8} "
            f"{r.flows if r.flows is not None else '-':>8} {_fmt(r.flows_per_s, ',.0f'):>9} "
            f"{_fmt(r.peak_mb if r.e2e_s else None, '.0f'):>8}  "
            f"{r.exit_code if r.exit_code is not None else '-'}"
        )
    for r in results:
        if r.error:
            print(f"  {r.sites} sites: {r.error}")
        stage_keys = [k for k in r.stages if k.endswith("_s")]
        if stage_keys:
            parts = ", ".join(f"{k[:-2]} {r.stages[k]:.2f}s" for k in stage_keys)
            print(f"  {r.sites} sites stages: {parts}")
        for k, v in r.stages.items():
            if k.endswith("error"):
                print(f"  {r.sites} sites {k}: {v}")
        if "flows" in r.stages or "lint_findings" in r.stages:
            print(
                f"  {r.sites} sites: {r.stages.get('flows', '-')} flows derived, "
                f"{r.stages.get('lint_findings', '-')} lint findings"
            )
        if r.verdicts:
            print(f"  {r.sites} sites verdicts: {json.dumps(r.verdicts, sort_keys=True)}")
        if r.report_mb is not None:
            print(f"  {r.sites} sites JSON report: {r.report_mb:.1f} MB")


def check_targets(results: list[Result]) -> list[str]:
    """One line per target: PASS / FAIL / n/a with the figures compared."""
    by = {r.sites: r for r in results}
    lines = []
    t1k = by[1000].e2e_median if 1000 in by else None
    if t1k is None or by[1000].flows is None:
        lines.append("n/a   1,000 sites end to end < 2 s (no verify report to measure)")
    else:
        ok = t1k < TARGET_E2E_1000_S
        lines.append(f"{'PASS' if ok else 'FAIL'}  1,000 sites end to end {t1k:.2f} s < 2 s")
    t10k = by[10000].e2e_median if 10000 in by else None
    if t1k is None or t10k is None or by[10000].flows is None:
        lines.append("n/a   time(10,000) <= 12 x time(1,000) (not measured)")
    else:
        ok = t10k <= TARGET_SCALING * t1k
        lines.append(
            f"{'PASS' if ok else 'FAIL'}  time(10,000) {t10k:.2f} s <= 12 x {t1k:.2f} s "
            f"(ratio {t10k / t1k:.1f})"
        )
    if 10000 in by and by[10000].e2e_s and by[10000].flows is not None:
        mb = by[10000].peak_mb
        ok = mb < TARGET_PEAK_MB_10000
        lines.append(f"{'PASS' if ok else 'FAIL'}  peak memory at 10,000 sites {mb:.0f} MB < 500")
    else:
        lines.append("n/a   peak memory at 10,000 sites < 500 MB (not measured)")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Speed benchmark of erplan verify.")
    ap.add_argument("--quick", action="store_true", help="100 and 1,000 sites only")
    ap.add_argument("--sites", default=None, help="comma-separated sizes (default 100,1000,10000)")
    ap.add_argument("--circuits", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="timed end-to-end runs per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per end-to-end run")
    ap.add_argument(
        "--stage-timeout", type=float, default=300.0, help="seconds per separately timed stage"
    )
    ap.add_argument("--no-stages", action="store_true", help="skip the stage-by-stage run")
    ap.add_argument(
        "--mem-limit-mb",
        type=int,
        default=8000,
        help="address-space cap per child process in MB (0: none; default 8000)",
    )
    ap.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    ap.add_argument("--keep", type=Path, help="keep designs and reports in this directory")
    args = ap.parse_args(argv)
    if args.sites:
        sizes = [int(s.replace("_", "")) for s in args.sites.split(",")]
    else:
        sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    tmp = None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        workdir = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="erplan-bench-")
        workdir = Path(tmp)
    try:
        print(f"erplan verify benchmark: {os.cpu_count()} cores, python {sys.version.split()[0]}")
        results = []
        for n in sizes:
            results.append(
                bench_size(
                    n,
                    args.circuits,
                    args.seed,
                    args.runs,
                    workdir,
                    args.timeout,
                    args.stage_timeout,
                    args.mem_limit_mb,
                    keep=args.keep is not None,
                    stages=not args.no_stages,
                )
            )
            print(f"  measured {n} sites", file=sys.stderr)
        print_table(results)
        print()
        for line in check_targets(results):
            print(line)
        if args.json:
            payload = [
                {
                    **asdict(r),
                    "e2e_min": r.e2e_min,
                    "e2e_median": r.e2e_median,
                    "cpu_median": r.cpu_median,
                }
                for r in results
            ]
            gen_design.write_atomic(args.json, json.dumps(payload, indent=2) + "\n")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
