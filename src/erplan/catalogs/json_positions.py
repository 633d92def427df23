"""Untrusted JSON: read once, and positions of values by path, computed only when something is
wrong.

The happy path parses with the C decoder alone; when a value must be reported, the text is
walked again along the value's path with ``json``'s own ``raw_decode``, which skips every value
off the path at C speed. No second, slower parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from erplan.files import DecodeRefused, decode_utf8, line_col

__all__ = ["JsonLocator", "JsonPath", "JsonRefused", "parse_untrusted", "validation_problems"]


class JsonRefused(Exception):
    """Bytes that are not JSON text: ``text`` says why (completing "the file ..."), at
    ``line``:``column``; ``undecodable`` when they are not even UTF-8 text."""

    def __init__(self, text: str, line: int = 1, column: int = 1, undecodable: bool = False):
        super().__init__(text)
        self.text, self.line, self.column, self.undecodable = text, line, column, undecodable


def parse_untrusted(raw: bytes) -> tuple[Any, str]:
    """(parsed JSON, its text) from untrusted bytes, or JsonRefused. NaN and Infinity are
    refused (not JSON numbers), and so are absurd nesting and huge integers."""
    try:
        text = decode_utf8(raw)
    except DecodeRefused as exc:
        what = (
            "is binary, not JSON"
            if exc.reason == "NUL byte"
            else f"is not UTF-8 text ({exc.reason})"
        )
        raise JsonRefused(what, exc.line, exc.column, undecodable=True) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"is not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except (RecursionError, ValueError) as exc:
        raise JsonRefused(f"is not valid JSON: {exc}") from None
    return data, text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def validation_problems(exc: ValidationError, limit: int) -> list[tuple[JsonPath, str]]:
    """(where to point, ``dotted.path: what is wrong``) for the first ``limit`` errors; a
    missing key is pointed at its object."""
    out: list[tuple[JsonPath, str]] = []
    for err in exc.errors(include_url=False)[:limit]:
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc) or "the document"
        path = loc[:-1] if err["type"] == "missing" else loc
        out.append((path, f"{dotted}: {err['msg'].lower()}"))
    return out


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
