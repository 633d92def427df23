"""Fuzz the loader and the whole verify path at length (the suite runs the same property for a
few seconds: tests/test_fuzz.py).

Each input is a shipped example mutated (structure-aware or as text, see tests/_fuzz.py) or
arbitrary text; the property is that erplan either refuses it with located, coded problems or
verifies it and renders every format cleanly. Counted: inputs, refused, verified, crashes (any
other exception, or a broken property), hangs (an input over --hang-after seconds of CPU
time: CPU, not wall time, so that a busy shared machine does not count as a hang) and memory
failures (the process is capped at --mem-limit-mb of address space). Each
crash or hang is saved under --out with the traceback, to replay with ``erplan verify FILE``.

Usage: python scripts/fuzz.py [--seconds 600] [--seed 1] [--hang-after 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _fuzz import (  # noqa: E402
    EXAMPLES,
    HOSTILE_STRINGS,
    SYNTAX,
    check,
    example_data,
    mutate,
    mutate_text,
    to_yaml,
)
from erplan.catalogs import load_catalogs  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang()


def _random_text(rng: random.Random) -> str:
    pieces = [*SYNTAX, *HOSTILE_STRINGS, "erplan: 1\n", "sites:\n", "  hq:\n", "    "]
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 60)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang-after", type=float, default=10.0, help="CPU seconds per input")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--mem-limit-mb", type=int, default=2000, help="address space cap")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    # A runaway input must fail here (MemoryError, counted and saved), not starve the machine.
    limit = args.mem_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    rng = random.Random(args.seed)
    catalogs = load_catalogs()
    data = example_data()
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in EXAMPLES]
    counts = {
        "inputs": 0,
        "refused": 0,
        "verified": 0,
        "crashes": 0,
        "hangs": 0,
        "memory": 0,
        "skipped": 0,
    }
    slowest = 0.0
    signal.signal(signal.SIGPROF, _alarm)
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        kind = rng.random()
        try:
            if kind < 0.6:
                name, tree = rng.choice(data)
                text = to_yaml(mutate(tree, rng, rng.randrange(1, 5)))
            elif kind < 0.9:
                name, text = rng.choice(texts)
                text = mutate_text(text, rng, rng.randrange(1, 4))
            else:
                name, text = "random.yaml", _random_text(rng)
        except (RecursionError, MemoryError):  # the mutator's own limits, not erplan's
            counts["skipped"] += 1
            continue
        counts["inputs"] += 1
        t0 = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, args.hang_after)
        try:
            counts[check(text, name, catalogs)] += 1
        except Hang:
            counts["hangs"] += 1
            _save(args.out, "hang", counts["inputs"], text, "over the time limit")
        except MemoryError:
            counts["memory"] += 1
            _save(args.out, "memory", counts["inputs"], text, "over the memory limit")
        except Exception:
            counts["crashes"] += 1
            _save(args.out, "crash", counts["inputs"], text, traceback.format_exc())
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        spent = time.process_time() - t0
        if spent > slowest:
            slowest = spent
            _keep_slowest(args.out, text, spent)
    figures = {
        **counts,
        "seconds": round(time.monotonic() - start, 1),
        "inputs_per_second": round(counts["inputs"] / max(time.monotonic() - start, 1e-9), 1),
        "slowest_input_cpu_s": round(slowest, 2),
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(", ".join(f"{k} {v}" for k, v in figures.items()))
    return 1 if counts["crashes"] or counts["hangs"] or counts["memory"] else 0


def _keep_slowest(out: Path, text: str, spent: float) -> None:
    """The slowest input so far, to see where the time goes (not a failure)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "slowest.yaml").write_text(f"# {spent:.2f} s of CPU\n{text}", encoding="utf-8")


def _save(out: Path, kind: str, n: int, text: str, why: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{kind}-{n}.yaml").write_text(text, encoding="utf-8")
    (out / f"{kind}-{n}.txt").write_text(why, encoding="utf-8")
    print(f"{kind} at input {n}: saved in {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
