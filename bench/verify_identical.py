"""Check that a change to `erplan verify` leaves every verdict identical.

`--save DIR` runs `erplan verify` (JSON and text) on every example under examples/ and on the
designs given with `--design`, and stores the outputs and exit codes in DIR. `--compare DIR`
runs the same again and reports every output that is not byte-identical to the stored one
(exit 1 if any differs). Run `--save` before a change, `--compare` after it.

Usage: python bench/verify_identical.py (--save DIR | --compare DIR) [--design FILE ...]
                                        [--erplan PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FORMATS = {"json": ["--format", "json"], "text": []}


def _designs(extra: list[Path]) -> list[Path]:
    return sorted((ROOT / "examples").glob("*.yaml")) + extra


def _outputs(erplan: str, design: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, args in FORMATS.items():
        done = subprocess.run(
            [erplan, "verify", str(design), *args], capture_output=True, check=False
        )
        out[name] = done.stdout
        out[name + ".exit"] = str(done.returncode).encode()
    return out


def _stem(design: Path) -> str:
    return design.stem if design.parent == ROOT / "examples" else f"extra-{design.stem}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="store the outputs in this directory")
    mode.add_argument("--compare", type=Path, help="compare with the outputs stored here")
    ap.add_argument("--design", type=Path, action="append", default=[], help="another design")
    ap.add_argument("--erplan", default=str(Path(sys.executable).parent / "erplan"))
    a = ap.parse_args(argv)
    differ = 0
    designs = _designs(a.design)
    for design in designs:
        outputs = _outputs(a.erplan, design)
        for suffix, data in outputs.items():
            if a.save is not None:
                a.save.mkdir(parents=True, exist_ok=True)
                (a.save / f"{_stem(design)}.{suffix}").write_bytes(data)
                continue
            stored = (a.compare / f"{_stem(design)}.{suffix}").read_bytes()
            if stored != data:
                differ += 1
                print(f"DIFFERS: {design.name} {suffix} ({len(stored)} -> {len(data)} bytes)")
    if a.compare is not None:
        print(f"{len(designs)} designs, {differ} outputs differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
