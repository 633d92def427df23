"""Stage 2 of loading, part 0: what each string of the design may hold.

Every key and every string value is checked against the kind of text its place in the format
calls for (``erplan.untrusted.TextKind``): names of objects and every reference to one, catalog
names and rule codes are names; ``services.*.fqdn`` is a DNS name; ``name``, ``tenant.name`` and
silence reasons are one line of free text; ``description`` may span lines. Anything else (an
unknown key, text where a number belongs) is held to one line of free text, so that no string of
the file, wherever it sits, can carry a control character or a bidi override into a message.
"""

from __future__ import annotations

from typing import Any

from erplan.diagnostics import Finding, Severity
from erplan.load.source import ObjectPath, SourceMap, dotted
from erplan.untrusted import TextKind, text_problem

__all__ = ["check_text"]

CODE = "ERP016"
_ANY = "*"
_KIND = "$kind"  # the kind of the string values at a path
_KEYS = "$keys"  # the kind of the keys of the mapping at a path

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
)

Trie = dict[str, Any]


def _trie() -> Trie:
    root: Trie = {}
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

    def _refuse(self, path: ObjectPath, message: str, *, key: bool) -> None:
        where = self.source.key_where(path) if key else self.source.where(path)
        self.findings.append(
            Finding(
                CODE, Severity.ERROR, message, where, subject=dotted(path[:-1] if key else path)
            )
        )
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


def check_text(data: dict[str, Any], source: SourceMap) -> tuple[list[Finding], set[ObjectPath]]:
    """(a finding per string that its place may not hold, the paths of those strings)."""
    walker = _Walker(source)
    walker.walk(data, (), [_ROOT])
    return walker.findings, walker.reported
