"""A memo that forgets what is no longer asked for: two generations, the newer bounded.

Exact for values that are functions of their key alone: what was dropped is made again, the
same, if asked for later. Used where a run keeps no traces and moves on site by site, so that
the memo of the sites already done does not stay alive to the end.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Aging(dict[K, V]):
    """A dict whose ``get`` also finds (and keeps) the older generation's entries; when the
    newer generation reaches ``limit`` entries it becomes the older, and the entries not asked
    for since are dropped."""

    __slots__ = ("limit", "older")

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.older: dict[K, V] = {}

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        got = dict.get(self, key)
        if got is None:
            got = self.older.get(key)
            if got is None:
                return default
            self[key] = got  # asked for again: it lives on
        return got

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, value)
        if len(self) >= self.limit:
            self.older = dict(self)
            self.clear()
