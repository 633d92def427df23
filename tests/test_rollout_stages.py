"""The rollout plan's stages (`erplan generate plan`) are verified by `erplan stages`: the file
it writes is read back by that command, and both agree on each stage's outcome (guide 001,
"Build your deployment procedures": each stage with its tests and its rollback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("g00*.yaml"))
FAILING = ("dropped", "blackhole", "unreachable")


@pytest.mark.parametrize("design", EXAMPLES, ids=lambda p: p.stem)
def test_generated_stages_are_verified_by_erplan_stages(
    design: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = run(["generate", "plan", str(design), "-o", str(tmp_path)], capsys, monkeypatch)
    assert made.code == 0, made.err  # every example has a rollout plan: none may be skipped
    plan = json.loads((tmp_path / "plan" / "rollout.json").read_text())
    checked = run(
        ["stages", str(design), "--plan", str(tmp_path / "plan" / "stages.yaml"), "-f", "json"],
        capsys,
        monkeypatch,
    )
    assert checked.code in (0, 1), checked.err
    steps = json.loads(checked.out)["stages"]
    assert [s["name"] for s in steps] == [s["name"] for s in plan["stages"]]
    for planned, step in zip(plan["stages"], steps, strict=True):
        seen = {v for v, n in step["summary"]["by_verdict"].items() if n}
        assert set(planned["verdicts"]) == seen, planned["name"]
        fails = any(step["summary"]["by_verdict"].get(v, 0) for v in FAILING)
        assert not fails or not step["ok"], planned["name"]
