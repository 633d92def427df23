"""Positions beside the data, and how messages name a path and a value."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erplan.diagnostics import Location
from erplan.model import Design

ObjectPath = tuple[str | int, ...]
Pos = tuple[int, int]  # 1-based (line, column)


class Positions:
    """Where every node of a composed document sits, packed: one row per node in document
    order (a parent before its children, each subtree contiguous), in arrays of 4-byte
    numbers instead of a path tuple and a position tuple per value (about 44 MB at 10,000
    sites). A path is found by walking down from the root; a container's children are
    indexed by name when a lookup first passes through it, so only what messages ask for
    costs an index. Where a path recurs (the ignored copies composing skips), the last
    written wins, as with a mapping from paths.
    """

    __slots__ = ("_index", "col", "key_col", "key_line", "line", "names", "size")

    def __init__(self) -> None:
        # The key naming a node in its mapping; None for a list item (and the root).
        self.names: list[str | None] = []
        self.size = array("I")  # nodes in the subtree, the node itself included
        self.line = array("I")  # the value's position, 1-based
        self.col = array("I")
        self.key_line = array("I")  # the key's position; 0 when the node has no key written
        self.key_col = array("I")
        self._index: dict[int, dict[str | int, int | list[int]]] = {}

    def add(
        self, name: str | None, line: int, col: int, key_line: int = 0, key_col: int = 0
    ) -> int:
        """A new node (a leaf until ``close`` says where its subtree ends); its row."""
        row = len(self.size)
        self.names.append(name)
        self.size.append(1)
        self.line.append(line)
        self.col.append(col)
        self.key_line.append(key_line)
        self.key_col.append(key_col)
        return row

    def close(self, row: int) -> None:
        """Every node added since ``row`` belongs to its subtree."""
        self.size[row] = len(self.size) - row

    def children(self, row: int, end: int | None = None) -> Iterator[tuple[str | int, int]]:
        """(name or list index, row) of each child, in document order. ``end``: the row after
        the subtree, for a node still being composed (its size not known yet)."""
        size, names = self.size, self.names
        stop = row + size[row] if end is None else end
        child, item = row + 1, 0
        while child < stop:
            name = names[child]
            if name is None:
                yield item, child
                item += 1
            else:
                yield name, child
            child += size[child]

    def _named(self, row: int, part: str | int) -> list[int]:
        """The children of ``row`` that ``part`` names, in document order: one, but for the
        names of what composing skipped (``?``, ``<<``), which may recur."""
        if self.size[row] == 1:
            return []
        index = self._index.get(row)
        if index is None:
            index = {}
            for name, child in self.children(row):
                got = index.get(name)
                if got is None:
                    index[name] = child
                elif isinstance(got, list):
                    got.append(child)
                else:
                    index[name] = [got, child]
            self._index[row] = index
        got = index.get(part)
        if got is None:
            return []
        return got if isinstance(got, list) else [got]

    def _match(self, path: Iterable[str | int]) -> tuple[list[int], bool]:
        """The rows of every node whose path is the longest prefix of ``path`` that has one,
        and whether that prefix is the whole path."""
        rows = [0]
        for part in path:
            deeper = [child for row in rows for child in self._named(row, part)]
            if not deeper:
                return rows, False
            rows = deeper
        return rows, True

    def value_row(self, path: Iterable[str | int]) -> int:
        """The row giving the position of ``path``'s value or of its nearest ancestor's (the
        last written, where a path recurs); -1 with no positions at all."""
        if not self.size:
            return -1
        return max(self._match(path)[0])

    def key_row(self, path: Iterable[str | int]) -> int:
        """The row of the key written for exactly ``path``; -1 if none."""
        if not self.size:
            return -1
        rows, whole = self._match(path)
        keyed = [row for row in rows if self.key_line[row]] if whole else []
        return max(keyed) if keyed else -1

    def paths(self) -> Iterator[tuple[ObjectPath, int]]:
        """(path, row) of every node, in document order."""
        if self.size:
            yield from self._paths(0, ())

    def _paths(self, row: int, path: ObjectPath) -> Iterator[tuple[ObjectPath, int]]:
        yield path, row
        if self.size[row] > 1:
            for part, child in self.children(row):
                yield from self._paths(child, (*path, part))


@dataclass(frozen=True)
class SourceMap:
    """Positions beside the data: object path -> where its value (and its key) sit in the file.

    A path is a tuple of mapping keys and list indices, e.g. ``("circuits", "us-er",
    "snat_pool")`` or ``("wan", 0, "between", 1)``. Designs built from a mapping have no
    positions: ``where`` then returns None.
    """

    file: str
    positions: Positions = field(default_factory=Positions)

    def where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the value at ``path``, else of its nearest ancestor that has one."""
        pos = self.positions
        row = pos.value_row(path)
        return None if row < 0 else Location(self.file, pos.line[row], pos.col[row])

    def key_where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the key naming the last element of ``path`` (for unknown keys and
        for pointing at an object by its name); falls back to ``where``."""
        pos = self.positions
        path = tuple(path)
        row = pos.key_row(path)
        if row >= 0:
            return Location(self.file, pos.key_line[row], pos.key_col[row])
        return self.where(path)

    @property
    def values(self) -> dict[ObjectPath, Pos]:
        """Every value's position by path (made on demand: for tests and tools)."""
        pos = self.positions
        return {path: (pos.line[row], pos.col[row]) for path, row in pos.paths()}

    @property
    def keys(self) -> dict[ObjectPath, Pos]:
        """Every written key's position by path (made on demand)."""
        pos = self.positions
        return {
            path: (pos.key_line[row], pos.key_col[row])
            for path, row in pos.paths()
            if pos.key_line[row]
        }


@dataclass(frozen=True)
class LoadedDesign:
    design: Design
    source: SourceMap
    path: Path | None = None


def dotted(path: Iterable[str | int]) -> str:
    """``("wan", 0, "between")`` -> ``wan[0].between`` (how messages name an object)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "the top level"


def describe(value: Any) -> str:
    """A value as messages show it: ``'abc'``, ``42``, ``a list``, ``nothing (null)``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)
