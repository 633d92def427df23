"""Positions of values in a JSON text, by path, computed only when something is wrong.

The happy path parses with the C decoder alone; when a value must be reported, the text is
walked again along the value's path with ``json``'s own ``raw_decode``, which skips every value
off the path at C speed. No second, slower parser.
"""

from __future__ import annotations

import json
import re

from erplan.files import line_col

__all__ = ["JsonLocator", "JsonPath"]

JsonPath = tuple[int | str, ...]

_WS = re.compile(r"[ \t\n\r]*")


class JsonLocator:
    """Line and column of the value at a path, in a JSON text known to be valid."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoder = json.JSONDecoder()
        self._children_at: dict[int, list[int]] = {}  # array offset -> item offsets

    def position(self, path: JsonPath) -> tuple[int, int]:
        """1-based (line, column) of the value at ``path``; the nearest ancestor found when the
        path goes further than the text (a missing key is reported at its object)."""
        offset = self._ws(0)
        for step in path:
            try:
                offset = self._step(offset, step)
            except (ValueError, IndexError, KeyError):
                break
        return line_col(self.text, offset)

    def _step(self, offset: int, step: int | str) -> int:
        opener = self.text[offset : offset + 1]
        if isinstance(step, int):
            if opener != "[":
                raise KeyError(step)
            return self._children(offset)[step]
        if opener != "{":
            raise KeyError(step)
        return self._member(offset, step)

    def _ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _children(self, start: int) -> list[int]:
        """Offsets of the items of the array that opens at ``start`` (cached: the sets of a
        download are looked up many times)."""
        cached = self._children_at.get(start)
        if cached is not None:
            return cached
        out: list[int] = []
        i = self._ws(start + 1)
        if self.text[i] != "]":
            while True:
                out.append(i)
                _, end = self._decoder.raw_decode(self.text, i)
                i = self._ws(end)
                if self.text[i] == "]":
                    break
                i = self._ws(i + 1)  # past the comma
        self._children_at[start] = out
        return out

    def _member(self, start: int, key: str) -> int:
        """Offset of the value of ``key`` in the object that opens at ``start``."""
        i = self._ws(start + 1)
        found = -1
        while self.text[i] != "}":
            name, end = self._decoder.raw_decode(self.text, i)
            i = self._ws(self._ws(end) + 1)  # past the colon
            if name == key:
                found = i  # json keeps the last duplicate; so do we
            _, end = self._decoder.raw_decode(self.text, i)
            i = self._ws(end)
            if self.text[i] == ",":
                i = self._ws(i + 1)
        if found < 0:
            raise KeyError(key)
        return found
