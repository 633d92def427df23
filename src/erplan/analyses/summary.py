"""A verdict row reduced to what the planning analyses compare between two states of a design
(a failure, a change, a rollout stage): plain, picklable data, one per row, indexed by flow key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from erplan.analyses.paths import CIRCUIT, edge_shares, to_network
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Engine
from erplan.engine.ranges import addr
from erplan.latency import Ms

ERRORS = frozenset({"dropped", "blackhole", "unreachable"})


@dataclass(frozen=True, slots=True)
class FlowState:
    keys: tuple[str, ...]
    sets: tuple[int | None, ...]  # endpoint set of each flow (outbound)
    direction: str
    origin: str
    kind: str
    express_route: bool
    verdict: str
    share: float  # of connections the verdict applies to
    failing: float  # of connections that fail
    cause: str
    latency_ms: float | None  # the slowest working branch, round trip
    network_ms: float | None  # to Microsoft's network, mean over working branches
    edges: tuple[tuple[str, float], ...]  # working connections per egress
    er_share: float  # working connections that leave by a circuit
    translated: tuple[str, ...]  # source addresses the requests leave with
    paths: frozenset[str]  # every branch's nodes, there and back
    users: int

    @property
    def broken(self) -> bool:
        return self.verdict in ERRORS

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": list(self.keys),
            "origin": self.origin,
            "direction": self.direction,
            "verdict": self.verdict,
            "share": round(self.share, 6),
            "cause": self.cause,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
            "network_ms": None if self.network_ms is None else round(self.network_ms, 2),
            "edges": {e: round(s, 6) for e, s in self.edges},
            "translated": list(self.translated),
        }


def state_of(engine: Engine, r: FlowResult) -> FlowState:
    t = r.trace
    total = weight = 0.0
    for b in t.branches:
        if b.outcome.works:
            ms: Ms | None = to_network(engine, t, b)
            if ms is not None:
                total += b.weight * ms.ms
                weight += b.weight
    edges = edge_shares(t)
    translated: set[str] = set()
    paths: set[str] = set()
    for b in t.branches:
        if b.forward.hops:
            translated.add(addr(b.forward.hops[-1].src))
        back = "" if b.back is None else ">".join(h.node for h in b.back.hops)
        paths.add(">".join(h.node for h in b.forward.hops) + "|" + back)
    f = r.flow
    return FlowState(
        tuple(x.key for x in r.flows),
        tuple(x.endpoint_set for x in r.flows),
        f.direction.value,
        f.origin,
        f.kind,
        f.express_route,
        r.verdict.value,
        r.share,
        r.share_affected,
        r.cause_key if r.verdict.value != "ok" else "",
        None if r.latency is None else r.latency.ms,
        total / weight if weight else None,
        tuple(sorted(edges.items())),
        sum(s for e, s in edges.items() if e.startswith(CIRCUIT)),
        tuple(sorted(translated)),
        frozenset(paths),
        r.users,
    )


def index(states: Iterable[FlowState]) -> dict[str, FlowState]:
    """Every flow key to the state of its row."""
    return {k: s for s in states for k in s.keys}
