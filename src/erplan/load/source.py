"""Positions beside the data, and how messages name a path and a value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erplan.diagnostics import Location
from erplan.model import Design

ObjectPath = tuple[str | int, ...]
Pos = tuple[int, int]  # 1-based (line, column)


@dataclass(frozen=True)
class SourceMap:
    """Positions beside the data: object path -> where its value (and its key) sit in the file.

    A path is a tuple of mapping keys and list indices, e.g. ``("circuits", "us-er",
    "snat_pool")`` or ``("wan", 0, "between", 1)``. Designs built from a mapping have no
    positions: ``where`` then returns None.
    """

    file: str
    values: Mapping[ObjectPath, Pos] = field(default_factory=dict)
    keys: Mapping[ObjectPath, Pos] = field(default_factory=dict)

    def where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the value at ``path``, else of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            pos = self.values.get(p)
            if pos is not None:
                return Location(self.file, pos[0], pos[1])
            if not p:
                return None
            p = p[:-1]

    def key_where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the key naming the last element of ``path`` (for unknown keys and
        for pointing at an object by its name); falls back to ``where``."""
        p = tuple(path)
        pos = self.keys.get(p)
        if pos is not None:
            return Location(self.file, pos[0], pos[1])
        return self.where(p)


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
