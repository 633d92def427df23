"""The JSON report written piece by piece: the same bytes as whole, the same atomic writes."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from erplan.files import write_atomic_chunks
from erplan.memory import collector_paused
from erplan.output import dumps, dumps_chunks


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {"key": f"out/site-{i}/{i % 7}", "share": i / 3, "address": IPv4Address(i), "ok": i % 2}
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 5, 20_000])
def test_chunks_equal_the_whole_document(n: int) -> None:
    """Small documents come out indented, large ones compact: byte for byte what dumps gives."""
    fields = {"summary": {"flows": n, "name": "é\u2028"}, "findings": [{"code": "ERP801"}]}
    rows = _rows(n)
    whole = dumps({**fields, "flows": rows}).encode("utf-8")
    pieces = list(dumps_chunks(fields, "flows", iter(rows)))
    assert b"".join(pieces) == whole
    json.loads(whole)
    if n == 20_000:
        assert len(pieces) > 1  # really in pieces


def test_rows_are_made_one_at_a_time() -> None:
    """Beyond the indentation limit, rows already written are not kept."""
    made = []

    def rows() -> Iterator[dict[str, Any]]:
        for row in _rows(50_000):
            made.append(row["key"])
            yield row

    stream = dumps_chunks({"summary": {}}, "flows", rows())
    first = next(stream)
    assert first.startswith(b'{"summary":{},"flows":[')
    assert len(made) < 50_000
    rest = b"".join(stream)
    assert json.loads(first + rest)["flows"][-1]["key"] == "out/site-49999/5"


def test_integers_beyond_64_bits_stay_valid_json() -> None:
    rows = [*_rows(20_000), {"big": 1 << 70}]
    text = b"".join(dumps_chunks({"summary": {}}, "flows", iter(rows)))
    assert json.loads(text)["flows"][-1] == {"big": 1 << 70}


def test_chunks_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic_chunks(target, iter([b'{"a":', b"1}\n"]))
    assert target.read_text() == '{"a":1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failure_while_the_chunks_are_made_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def chunks() -> Iterator[bytes]:
        yield b'{"a":'
        raise RuntimeError("a row could not be made")

    with pytest.raises(RuntimeError):
        write_atomic_chunks(target, chunks())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_collector_resumes_after_the_pause() -> None:
    """What was made during the pause is still collected when it becomes cyclic garbage."""

    class Node:
        other: Any = None

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a
    assert gc.isenabled() and gc.get_freeze_count() == 0
    del a, b
    assert gc.collect() >= 2
