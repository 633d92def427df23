"""What the report's script needs to draw any row on the map, packed small.

A 1,000-site design has thousands of rows whose branches repeat the same hops and the same
paths, so hops, paths and strings are each stored once and referred to by index:

- ``text``: strings (labels, addresses, translations, actions, reasons, causes);
- ``nodes``: ``[map node id, x, y]``;
- ``hops``: ``[node, label, "src → dst", translation or -1, action or -1, ms, estimated]``;
- ``paths``: ``[disposition, reason or -1, [hop, ...]]``;
- ``rows``: one list per row, fields named by ``row_fields``, branches as
  ``[weight, outcome, class, request path, reply path or -1, front end node or -1]``.

The script reads it as JSON from a ``<script type="application/json">`` element; the template
escapes ``<``, ``>`` and ``&`` inside it, so no name can close that element.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from erplan.analyses.verdicts import FlowResult, Report
from erplan.engine import Branch, Direction, Hop
from erplan.engine import Path as FlowPath
from erplan.engine.ranges import addr
from erplan.model import Analysis
from erplan.report.problems import ProblemGroup, row_code
from erplan.report.sketch import branch_class, branch_front_end, translation
from erplan.report.topology import Topology, fe_id


class _Interned:
    """Values stored once, referred to by position; ``key`` is what makes two values one."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[Hashable, int] = {}

    def __call__(self, value: Any, key: Hashable = None) -> int:
        key = value if key is None else key
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.items)
            self.items.append(value)
        return found


def row_title(r: FlowResult) -> str:
    """How a row is named in the list: who, to what, how many flows."""
    f = r.flow
    n = len(r.flows)
    more = f" and {n - 1} more" if n > 1 else ""
    if f.direction is Direction.INBOUND:
        return f"{f.front_end or f.kind} → service {f.origin} ({f.fqdn}, port {f.port})"
    if f.direction is Direction.DNS:
        return f"DNS of site {f.origin} (resolver egress {f.resolver or '-'})"
    who = f"server {f.origin}" if f.kind == "server" else f"site {f.origin}"
    what = f.fqdn or f"endpoint set {f.endpoint_set}"
    return f"{who} → {what}{more}"


# A row is a list in this order (names repeated 5,000 times would double the data).
ROW_FIELDS = (
    "key",
    "keys",
    "title",
    "verdict",
    "code",
    "share",
    "users",
    "latency",
    "best",
    "estimated",
    "cause_key",
    "cause",
    "fix",
    "guide",
    "before",
    "group",
    "branches",
)


class Packer:
    def __init__(self, topo: Topology, analysis: Analysis) -> None:
        self.topo = topo
        self.analysis = analysis
        self.text = _Interned()
        self.nodes = _Interned()
        self.hops = _Interned()
        self.paths = _Interned()
        self._node_index: dict[str, int] = {}
        # Branches share hops and whole paths (the same objects): remember each once.
        self._hop_index: dict[Hop, int] = {}
        self._path_index: dict[int, int] = {}
        self._held: list[FlowPath] = []  # keeps the ids above valid
        for n in topo.nodes.values():
            self._node_index[n.id] = self.nodes([n.id, n.x, n.y], n.id)

    def node(self, node_id: str) -> int:
        found = self._node_index.get(node_id)
        if found is None:  # a node the map does not draw: listed, never placed
            found = self._node_index[node_id] = self.nodes([node_id, None, None], node_id)
        return found

    def _opt(self, value: str | None) -> int:
        return -1 if not value else self.text(value)

    def hop(self, h: Hop) -> int:
        found = self._hop_index.get(h)
        if found is None:
            found = self._hop_index[h] = self._new_hop(h)
        return found

    def _new_hop(self, h: Hop) -> int:
        packed = [
            self.node(h.node),
            self.text(h.label),
            self.text(f"{addr(h.src)} → {addr(h.dst)}"),
            self._opt(translation(h)),
            self._opt(h.action),
            round(h.ms, 2),
            1 if h.estimated else 0,
        ]
        return self.hops(packed, tuple(packed))

    def path(self, p: FlowPath) -> int:
        found = self._path_index.get(id(p))
        if found is None:
            hops = [self.hop(h) for h in p.hops]
            head = (self.text(p.disposition.value), self._opt(p.reason), self._opt(p.edge))
            found = self.paths([*head, hops], (*head, tuple(hops)))
            self._path_index[id(p)] = found
            self._held.append(p)
        return found

    def branch(self, r: FlowResult, b: Branch) -> list[Any]:
        fe = branch_front_end(r, b)
        fe_node = fe_id(fe) if fe else None
        return [
            round(b.weight, 6),
            b.outcome.value,
            branch_class(r, b, self.analysis).value,
            self.path(b.forward),
            -1 if b.back is None else self.path(b.back),
            -1 if fe_node is None or fe_node not in self.topo.nodes else self.node(fe_node),
        ]

    def row(self, r: FlowResult, group: int | None) -> list[Any]:
        lat = r.latency
        fields = {
            "key": r.flow.key,
            "keys": len(r.flows),
            "title": row_title(r),
            "verdict": r.verdict.value,
            "code": row_code(r),
            "share": round(r.share, 6),
            "users": r.users_affected,
            "latency": None if lat is None else round(lat.ms, 1),
            "best": None if r.best is None else round(r.best.ms, 1),
            "estimated": bool(lat is not None and lat.estimated),
            "cause_key": None if r.cause_key == "ok" else r.cause_key,
            "cause": self._opt(r.cause),
            "fix": self._opt(r.fix),
            "guide": self._opt(r.source),
            "before": [[what, round(share, 6), why] for what, share, why in r.trace.before],
            "group": group,
            "branches": [self.branch(r, b) for b in r.trace.branches],
        }
        return [fields[name] for name in ROW_FIELDS]


def pack(
    topo: Topology, report: Report, groups: list[ProblemGroup], analysis: Analysis
) -> dict[str, Any]:
    """The report's data: rows in the order of the list (problems first, worst first)."""
    packer = Packer(topo, analysis)
    group_of: dict[int, int] = {}
    for i, g in enumerate(groups):
        for r in g.rows:
            group_of[id(r)] = i
    order = {"error": 0, "warning": 1}
    rows = sorted(
        report.results,
        key=lambda r: (
            order.get(r.verdict.severity.value if r.verdict.severity else "", 2),
            -r.share,
            r.flow.key,
        ),
    )
    packed = [packer.row(r, group_of.get(id(r))) for r in rows]
    return {
        "text": packer.text.items,
        "nodes": packer.nodes.items,
        "hops": packer.hops.items,
        "paths": packer.paths.items,
        "row_fields": list(ROW_FIELDS),
        "rows": packed,
        "groups": [g.example for g in groups],
    }
