"""Plain YAML scalars as the YAML 1.2 core schema reads them, with the bounds erplan puts on
numbers: finite, and at most a trillion in size (no field of the format holds more)."""

from __future__ import annotations

import re
from math import inf, isfinite, nan
from typing import Any

__all__ = ["MAX_INTEGER", "TooLarge", "resolve_plain", "usable"]

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
# Characters that can start a plain scalar of a non-string type (YAML 1.2 core schema).
_TYPED_START = frozenset("0123456789+-.~tTfFnN")


class TooLarge:
    """An integer no field of the format can hold. Bounding them keeps every sum erplan makes
    within 64 bits (JSON readers' integers) and every number printable: Python refuses to
    convert integers of more than 4,300 digits to text."""


_TOO_LARGE = TooLarge()
MAX_INTEGER = 10**12  # an ASN is below 4.3e9; a million such values still sum below 2**63
_MAX_DIGITS = 40  # longer digit strings are not even converted


def usable(x: float) -> bool:
    return isfinite(x) and -MAX_INTEGER <= x <= MAX_INTEGER


def _integer(digits: str, base: int) -> int | TooLarge:
    if len(digits) > _MAX_DIGITS:
        return _TOO_LARGE
    n = int(digits, base)
    return n if -MAX_INTEGER <= n <= MAX_INTEGER else _TOO_LARGE


def resolve_plain(value: str) -> Any:
    """A plain scalar as the YAML 1.2 core schema reads it (``no`` stays text: Norway's code)."""
    if not value:
        return None
    if value[0] not in _TYPED_START:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        return _integer(value, 10)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INT_OCT.fullmatch(value):
        return _integer(value[2:], 8)
    if _INT_HEX.fullmatch(value):
        return _integer(value[2:], 16)
    if _INF.fullmatch(value):
        return -inf if value[0] == "-" else inf
    if _NAN.fullmatch(value):
        return nan
    return value
