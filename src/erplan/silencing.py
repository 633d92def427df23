"""The one way to silence a finding, whatever produced it.

Every object of a design that findings are about (site, WAN link, breakout, circuit, circuit
link, service, device, server) may carry a ``silence`` map from a code, or its name or an alias (any
case), to the reason it does not apply. A finding is silenced when one of the objects it is
about silences its code: the rules name those objects in each hit; other findings (flow
verdicts) name one in their ``subject``. Codes are those of ``erplan.codes``, so a flow code is
silenced exactly like a rule, and only a code that no command prints is "unknown".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from erplan.codes import code_keys, find_code
from erplan.diagnostics import Finding
from erplan.model import Design

__all__ = ["Owner", "apply", "entries", "owners_of", "reason", "silence_map"]

Owner = tuple[str | int, ...]  # an object path: ("circuits", "us-er"), ("wan", 0), ...

_COLLECTIONS = ("sites", "breakouts", "circuits", "services", "devices", "servers")


def _resolve(design: Design, owner: Owner) -> Any:
    obj: Any = design
    for part in owner:
        if isinstance(obj, Mapping):
            obj = obj.get(part)
        elif isinstance(obj, list | tuple) and isinstance(part, int) and 0 <= part < len(obj):
            obj = obj[part]
        elif isinstance(part, str) and not isinstance(obj, list | tuple):
            obj = getattr(obj, part, None)
        else:
            return None
        if obj is None:
            return None
    return obj


def silence_map(design: Design, owner: Owner) -> Mapping[str, str]:
    """The ``silence`` map of the object at ``owner`` (empty when it has none)."""
    obj = _resolve(design, owner)
    found = getattr(obj, "silence", None)
    return found if isinstance(found, Mapping) else {}


def reason(design: Design, code: str, owners: Iterable[Owner]) -> str | None:
    """The reason the first of ``owners`` that silences ``code`` gives (by code, name or
    alias), or None."""
    maps = [m for m in (silence_map(design, owner) for owner in owners) if m]
    if not maps:  # the usual case: the code's names need not be looked up
        return None
    info = find_code(code)
    keys = code_keys(info) if info is not None else frozenset({code.casefold()})
    for silenced in maps:
        for key, why in silenced.items():
            if key.casefold() in keys and why.strip():
                return why.strip()
    return None


def owners_of(finding: Finding, design: Design) -> list[Owner]:
    """The object a finding is about, from its subject (``circuits.us-er.region_preference``);
    names may hold dots, so the longest name the collection defines wins."""
    subject = finding.subject
    if not subject:
        return []
    collection, _, rest = subject.partition(".")
    objects = getattr(design, collection, None) if collection in _COLLECTIONS else None
    if not isinstance(objects, Mapping) or not rest:
        return []
    parts = rest.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in objects:
            owner: Owner = (collection, name)
            tail = parts[n:]
            if collection == "circuits" and len(tail) >= 2 and tail[0] == "links":
                return [(*owner, "links", tail[1]), owner]  # a link first, then its circuit
            return [owner]
    return []


def apply(findings: Iterable[Finding], design: Design) -> list[Finding]:
    """``findings`` with those silenced by the objects they are about marked so (a finding
    already silenced is kept as it is)."""
    out: list[Finding] = []
    for f in findings:
        if f.silenced is None:
            why = reason(design, f.code, owners_of(f, design))
            if why is not None:
                f = dataclasses.replace(f, silenced=why)
        out.append(f)
    return out


def entries(design: Design) -> Iterator[tuple[Owner, str, str]]:
    """Every silence entry of the design: (owner, code as written, reason)."""
    for collection in _COLLECTIONS:
        objects: Mapping[str, Any] = getattr(design, collection)
        for name, obj in objects.items():
            owner: Owner = (collection, name)
            for code, why in obj.silence.items():
                yield owner, code, why
            if collection == "circuits":
                for link_name, link in obj.links.items():
                    for code, why in link.silence.items():
                        yield (*owner, "links", str(link_name)), code, why
    for i, link in enumerate(design.wan):
        for code, why in link.silence.items():
            yield ("wan", i), code, why
