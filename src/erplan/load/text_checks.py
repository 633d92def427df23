"""Stage 2 of loading, part 0: what each string of the design may hold, and that addresses
are written as text.

Every key and every string value is checked against the kind of text its place in the format
calls for (``erplan.untrusted.TextKind``): names of objects and every reference to one, catalog
names and rule codes are names; ``services.*.fqdn`` is a DNS name; ``name``, ``tenant.name`` and
silence reasons are one line of free text; ``description`` may span lines. Anything else (an
unknown key, text where a number belongs) is held to one line of free text, so that no string of
the file, wherever it sits, can carry a control character or a bidi override into a message.

An address or prefix given as a number or a boolean (``dns_record: 5``) is refused too: the
model's types would read ``5`` as 0.0.0.5 and ``true`` as 0.0.0.1.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from erplan.diagnostics import Finding, Severity
from erplan.load.source import ObjectPath, SourceMap, describe, dotted
from erplan.model import Design
from erplan.untrusted import TextKind, text_problem

__all__ = ["check_text"]

CODE = "ERP016"
CODE_ADDRESS = "ERP013"
_ANY = "*"
_KIND = "$kind"  # the kind of the string values at a path
_KEYS = "$keys"  # the kind of the keys of the mapping at a path
_ADDRESS = "$address"  # the example of an address or prefix expected at a path

_N, _F, _L, _P = TextKind.NAME, TextKind.FQDN, TextKind.LINE, TextKind.PARAGRAPHS
_OWNERS = ("sites", "breakouts", "circuits", "services", "devices")

# (path pattern, what the strings there hold); "*" is any key or index.
_VALUES: tuple[tuple[tuple[str, ...], TextKind], ...] = (
    (("name",), _L),
    (("description",), _P),
    (("tenant", "name"), _L),
    (("tenant", "geography"), _N),
    (("tenant", "services", _ANY), _N),
    (("sites", _ANY, "location"), _N),
    (("sites", _ANY, "breakout"), _N),
    (("sites", _ANY, "resolver_egress"), _N),
    (("sites", _ANY, "proxy", "site"), _N),
    (("sites", _ANY, "proxy", "address"), _N),
    (("sites", _ANY, "devices", _ANY), _N),
    (("wan", _ANY, "between", _ANY), _N),
    (("breakouts", _ANY, "site"), _N),
    (("breakouts", _ANY, "devices", _ANY), _N),
    (("circuits", _ANY, "peering_location"), _N),
    (("circuits", _ANY, "site"), _N),
    (("circuits", _ANY, "route_filter", _ANY), _N),
    (("circuits", _ANY, "devices", _ANY), _N),
    (("circuits", _ANY, "links", _ANY, "devices", _ANY), _N),
    (("services", _ANY, "fqdn"), _F),
    (("services", _ANY, "site"), _N),
    (("services", _ANY, "entry", _ANY), _N),
    (("services", _ANY, "initiator"), _N),
    (("services", _ANY, "initiator_geography"), _N),
    (("devices", _ANY, "site"), _N),
    *(((owner, _ANY, "silence", _ANY), _L) for owner in _OWNERS),
    (("wan", _ANY, "silence", _ANY), _L),
    (("circuits", _ANY, "links", _ANY, "silence", _ANY), _L),
)
# (path of a mapping, what its keys hold): object names, rule codes, region and entry names.
_KEY_NAMES: tuple[tuple[str, ...], ...] = (
    *((owner,) for owner in _OWNERS),
    *((owner, _ANY, "silence") for owner in _OWNERS),
    ("wan", _ANY, "silence"),
    ("circuits", _ANY, "links", _ANY, "silence"),
    ("circuits", _ANY, "region_preference"),
    ("services", _ANY, "inbound_snat"),
    ("tenant", "dynamics"),
)

Trie = dict[str, Any]

_EXAMPLES = {IPv4Network: "an IPv4 prefix such as 192.0.2.0/24", IPv4Address: "an IPv4 address"}


def _address_fields(tp: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(path pattern, what is expected) of every address or prefix value of the model."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _address_fields(get_args(tp)[0], path)
    if origin in (Union, UnionType):
        return [f for member in get_args(tp) for f in _address_fields(member, path)]
    if tp in _EXAMPLES:
        return [(path, _EXAMPLES[tp])]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [
            f
            for name, info in tp.model_fields.items()
            for f in _address_fields(info.annotation, (*path, name))
        ]
    if origin is dict:
        return _address_fields(get_args(tp)[1], (*path, _ANY))
    if origin in (list, tuple):
        return [
            f for arg in get_args(tp) if arg is not ... for f in _address_fields(arg, (*path, _ANY))
        ]
    return []


def _trie() -> Trie:
    root: Trie = {}
    for pattern, expected in _address_fields(Design):
        node = root
        for part in pattern:
            node = node.setdefault(part, {})
        node[_ADDRESS] = expected
    for pattern, kind in _VALUES:
        node = root
        for part in pattern:
            node = node.setdefault(part, {})
        node[_KIND] = kind
    for pattern in _KEY_NAMES:
        node = root
        for part in pattern:
            node = node.setdefault(part, {})
        node[_KEYS] = _N
    return root


_ROOT = _trie()


def _step(nodes: list[Trie], part: str | int) -> list[Trie]:
    out = []
    for n in nodes:
        if isinstance(part, str) and part in n:
            out.append(n[part])
        if _ANY in n:
            out.append(n[_ANY])
    return out


def _kind(nodes: list[Trie], slot: str) -> TextKind:
    for n in nodes:
        if slot in n:
            kind: TextKind = n[slot]
            return kind
    return _L


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:60] + "...")


class _Walker:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.findings: list[Finding] = []
        self.reported: set[ObjectPath] = set()
        self.withheld: set[ObjectPath] = set()  # values the model must not read (see below)

    def _refuse(self, path: ObjectPath, message: str, *, key: bool, code: str = CODE) -> None:
        where = self.source.key_where(path) if key else self.source.where(path)
        subject = dotted(path[:-1] if key else path)
        self.findings.append(Finding(code, Severity.ERROR, message, where, subject=subject))
        self.reported.add(path)

    def walk(self, value: Any, path: ObjectPath, nodes: list[Trie]) -> None:
        if isinstance(value, dict):
            key_kind = _kind(nodes, _KEYS)
            for k, v in value.items():
                problem = text_problem(k, key_kind)
                if problem is not None:
                    what = "the name" if key_kind is _N else "the key"
                    self._refuse(
                        (*path, k), f"{dotted(path)}: {what} {_shown(k)} {problem}", key=True
                    )
                    continue  # everything under a refused name would only repeat it
                self.walk(v, (*path, k), _step(nodes, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.walk(v, (*path, i), _step(nodes, i))
        elif isinstance(value, str):
            kind = _kind(nodes, _KIND)
            problem = text_problem(value, kind)
            if problem is not None:
                self._refuse(path, f"{dotted(path)}: {_shown(value)} {problem}", key=False)
        elif isinstance(value, int | float):  # numbers and booleans
            for n in nodes:
                if _ADDRESS in n:
                    message = f"{dotted(path)}: expected {n[_ADDRESS]}, got {describe(value)}"
                    self._refuse(path, message, key=False, code=CODE_ADDRESS)
                    self.withheld.add(path)
                    break


def check_text(
    data: dict[str, Any], source: SourceMap
) -> tuple[list[Finding], set[ObjectPath], set[ObjectPath]]:
    """(a finding per value its place may not hold, the paths of those values, the paths of
    numbers given for addresses: the model's ip types would convert them, so they are
    withheld from it)."""
    walker = _Walker(source)
    walker.walk(data, (), [_ROOT])
    return walker.findings, walker.reported, walker.withheld
