"""Names may hold the characters that separate the parts of an element's id: '/' (a circuit
from its link, `circuit:NAME/LINK`: every stage takes the link from the last '/'), '@' (a device
from the wire it stands on, `device:NAME@WHERE`: the device's own '@' is escaped), ':' and '%'.
The same design with its objects renamed to names holding them gives the same answers, names
aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run
from erplan.emulate.results import edge_group
from erplan.engine.trace import device_at, device_node

EXAMPLES = Path(__file__).parents[1] / "examples"
DESIGN = EXAMPLES / "g001-sharepoint-outbound.yaml"
RENAMED = {"chicago-er": "er/chicago", "dallas-er": "er/dallas"}
# Devices on a circuit's links and on a breakout, a security policy: every reader of a device
# node (failures' touched elements, security's devices, the tables' device column, the judge's
# reply link) meets the escaped name.
SECURED = EXAMPLES / "g001-contoso-securing-expressroute.yaml"
SECURED_RENAMED = {
    "ny-perimeter": "fw@ny%40:1",
    "ldn-perimeter": "fw@london",
    "ny-er": "er@ny/1",
    "ldn-inet": "inet@ldn:x",
}
LINKS = EXAMPLES / "g000-per-link-state.yaml"
LINKS_RENAMED = {"fw-primary": "fw@hq-er/primary", "fw-secondary": "fw%secondary@"}
CASES = [(DESIGN, RENAMED), (SECURED, SECURED_RENAMED), (LINKS, LINKS_RENAMED)]


def _designs(tmp_path: Path, design: Path = DESIGN, names: dict[str, str] = RENAMED) -> Path:
    text = design.read_text(encoding="utf-8")
    for old, new in names.items():
        assert text.count(old) > 0
        text = text.replace(old, f'"{new}"' if "%" in new or "@" in new else new)
    # Quoted where YAML needs it: a plain scalar cannot start with '%' or '@'.
    text = text.replace('""', '"')
    renamed = tmp_path / design.name  # the same file name: outputs quote it
    renamed.write_text(text, encoding="utf-8")
    return renamed


def _back(text: str, names: dict[str, str] = RENAMED) -> str:
    for old, new in names.items():
        text = text.replace(json.dumps(new)[1:-1], old)
    return text


@pytest.mark.parametrize("design,names", CASES, ids=lambda c: c.stem if isinstance(c, Path) else "")
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
def test_separators_in_names_change_no_answer(
    args: list[str],
    design: Path,
    names: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renamed = _designs(tmp_path, design, names)
    first = run([args[0], str(design), *args[1:]], capsys, monkeypatch)
    second = run([args[0], str(renamed), *args[1:]], capsys, monkeypatch)
    assert (second.code, _back(second.err, names)) == (first.code, first.err)
    a = json.loads(first.out)
    b = json.loads(_back(second.out.replace(str(renamed), str(design)), names))
    for doc in (a, b):
        doc.pop("design", None)
        # Ties are listed by name, and the new names sort elsewhere.
        for key, value in doc.items():
            if isinstance(value, list):
                doc[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    assert b == a


def test_a_device_node_reads_back_its_name_and_wire() -> None:
    for name in ("fw", "fw@x", "a%40b", "%", "@@", "x%2540@y"):
        for where in ("site:hq", "circuit:er@1/primary", "breakout:b@c"):
            assert device_at(device_node(name, where)) == (name, where)


def test_generated_tables_name_each_circuit_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original, renamed = DESIGN, _designs(tmp_path)
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
