"""Names as people type them: one lookup key and one "did you mean" for every command.

A name matches whatever differs from it only in case, accents, spaces and punctuation
("São Paulo" is "sao-paulo"); a misspelt one is answered with the closest known name when it is
close enough. Every suggestion erplan prints comes from :func:`closest`, with one cutoff.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["CUTOFF", "MAX_FUZZY_CANDIDATES", "closest", "did_you_mean", "normalize"]

CUTOFF = 0.7  # difflib ratio on lookup keys: "Amsterdan" -> "Amsterdam", not "Rotterdam"
# Fuzzy matching is linear in the candidates per question; beyond this many (a design with
# tens of thousands of names), only the exact lookup-key match is offered.
MAX_FUZZY_CANDIDATES = 5000

_PUNCT = re.compile(r"[\W_]+")


@lru_cache(maxsize=1 << 16)  # the same catalog names are looked up per flow
def normalize(name: str) -> str:
    """The lookup key of a name: case, accents, spaces and punctuation do not count.

    "São Paulo", "sao paulo" and "Sao-Paulo" are one place; "Queretaro(Mexico)" is
    "Queretaro (Mexico)".
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    return _PUNCT.sub("", "".join(c for c in folded if not unicodedata.combining(c)))


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The known name closest to ``name``, or None when none is close enough.

    A candidate with the same lookup key wins outright; otherwise the best difflib match of
    the lookup keys at :data:`CUTOFF`.
    """
    by_key: dict[str, str] = {}
    for c in candidates:
        by_key.setdefault(normalize(c), c)
    key = normalize(name)
    if not key:
        return None
    exact = by_key.get(key)
    if exact is not None:
        return exact
    if len(by_key) > MAX_FUZZY_CANDIDATES:
        return None
    hits = difflib.get_close_matches(key, [k for k in by_key if k], n=1, cutoff=CUTOFF)
    return by_key[hits[0]] if hits else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest candidate, else the empty string."""
    hit = closest(name, candidates)
    return f"; did you mean {hit!r}?" if hit is not None else ""
