"""Names may hold '/', which is also what separates a circuit from its link in edge names
(`circuit:NAME/LINK`): every stage that reads an edge takes the link from the last '/'. The same
design with its circuits renamed to names holding '/' gives the same answers, names aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run
from erplan.emulate.results import edge_group

DESIGN = Path(__file__).parents[1] / "examples" / "g001-sharepoint-outbound.yaml"
RENAMED = {"chicago-er": "er/chicago", "dallas-er": "er/dallas"}


def _designs(tmp_path: Path) -> tuple[Path, Path]:
    text = DESIGN.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        text = text.replace(old, new)
    renamed = tmp_path / DESIGN.name  # the same file name: outputs quote it
    renamed.write_text(text, encoding="utf-8")
    return DESIGN, renamed


def _back(text: str) -> str:
    for old, new in RENAMED.items():
        text = text.replace(new, old)
    return text


@pytest.mark.parametrize(
    "args",
    [
        ["failures", "-f", "json"],
        ["lists", "-f", "json"],
        ["security", "-f", "json"],
        ["verify", "-f", "json", "--flows"],
    ],
    ids=lambda a: a[0],
)
def test_a_slash_in_circuit_names_changes_no_answer(
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original, renamed = _designs(tmp_path)
    first = run([args[0], str(original), *args[1:]], capsys, monkeypatch)
    second = run([args[0], str(renamed), *args[1:]], capsys, monkeypatch)
    assert (second.code, second.err) == (first.code, first.err)
    a = json.loads(first.out)
    b = json.loads(_back(second.out))
    for doc in (a, b):
        doc.pop("design", None)
    assert b == a


def test_generated_tables_name_each_circuit_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original, renamed = _designs(tmp_path)
    outs = []
    for design, out in ((original, tmp_path / "a"), (renamed, tmp_path / "b")):
        r = run(["generate", "tables", str(design), "-o", str(out)], capsys, monkeypatch)
        assert r.code == 0, r.err
        outs.append({p.name: p.read_text() for p in sorted(out.rglob("*.md"))})
    assert outs[0] and {k: _back(v) for k, v in outs[1].items()} == outs[0]


def test_the_emulation_groups_edges_by_their_last_slash() -> None:
    assert edge_group("circuit:er/chicago/primary") == "circuit:er/chicago"
    assert edge_group("breakout:inet/chicago") == "breakout:inet/chicago"
    assert edge_group(None) is None
