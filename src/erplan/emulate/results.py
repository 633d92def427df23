"""What a run observed, per connection and per flow, and its JSON form.

A connection's outcome is read from what happened to it, not from any model:

- ``ok``: the exchange completed and the reply came back by the circuit or breakout the request
  left by (or entered by); ``asymmetric``: completed, by another one;
- ``dropped``: a stateful device, a NAT point, Microsoft's source filter or a breakout's
  rule for proxied sites dropped it (the node and the reason are the evidence), or the host it
  reached refused it (not the end it asked for);
- ``blackhole``: lost without such a drop (a device down, no route on the way, a loop: the
  ICMP time exceeded the connection, its datagram or its proxy's connection was answered
  with; for a resolver's query, the one its resolver was answered with);
- ``unreachable``: its name did not resolve (its query got no answer, also when it left by
  another breakout than the resolver egress its site names), the connection to its proxy (or
  a chain's to its upstream) failed, so its own request never left, or the origin's own router
  has no route.

A flow's shares weight each connection by the share of the origin's addresses its source
piece stands for (every piece gets connections; pieces differ in size).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from erplan.emulate.agent import LOOP_ERROR
from erplan.emulate.flows import FlowSpec
from erplan.emulate.sockets import LOOPED_ERROR

OUTCOMES = ("ok", "asymmetric", "dropped", "blackhole", "unreachable")
FAILED = frozenset({"dropped", "blackhole", "unreachable"})
# A host that answers a connection with a reset (no server there) is not the end the flow
# asked for: the request was delivered, then refused, not lost on the way.
REFUSED = "Connection refused"
# A query that left by another breakout than the resolver egress its site names gets no answer:
# the name does not resolve (unreachable), nothing refused a connection.
PINNED = "the query left by another breakout than the resolver egress its site names"
DOWN = "device down"


def edge_group(edge: str | None) -> str | None:
    """The circuit or breakout of an edge (``circuit:C/primary`` -> ``circuit:C``)."""
    if edge is None or not edge.startswith("circuit:"):
        return edge
    return edge.rpartition("/")[0]  # names may hold '/': the link follows the last one


@dataclass
class Connection:
    port: int
    stratum: int
    weight: float
    source: str
    direction: str = "outbound"
    ok: bool = False
    stage: str | None = None
    error: str | None = None
    answer: str | None = None  # what DNS answered (or the proxy connected to)
    seen: str | None = None  # the source address the server saw
    forward: list[str] = field(default_factory=list)  # edges the request crossed
    back: list[str] = field(default_factory=list)  # edges the reply crossed
    drops: list[tuple[str, str]] = field(default_factory=list)  # (node label, reason)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (node label, state)
    nat: list[tuple[str, str]] = field(default_factory=list)  # (node label, address)
    origin_route: bool = True
    outcome: str = "ok"

    @property
    def refused(self) -> bool:
        """The request reached a host that refused it (a reset: the wrong host)."""
        return self.stage == "connect" and self.error == REFUSED

    def classify(self) -> str:
        if self.ok:
            fwd = {edge_group(e) for e in self.forward}
            back = {edge_group(e) for e in self.back}
            self.outcome = "asymmetric" if back - fwd else "ok"
        elif any(reason not in (DOWN, PINNED) for _, reason in self.drops) or self.refused:
            self.outcome = "dropped"
        elif any(reason == DOWN for _, reason in self.drops):
            self.outcome = "blackhole"
        elif self.direction == "dns" and self.error == LOOP_ERROR:
            self.outcome = "blackhole"  # the query went round a loop: lost on the way
        elif self.error == LOOPED_ERROR:
            self.outcome = "blackhole"  # the flow's own packet went round a loop
        elif self.direction == "dns" and self.forward and not self.back and not self.drops:
            # The resolver's query left and no answer came back by any edge: lost on the way
            # back, as for any packet (a name another flow could not resolve is unreachable).
            self.outcome = "blackhole"
        elif self.drops or self.stage in ("dns", "proxy") or not self.origin_route:
            self.outcome = "unreachable"
        else:
            self.outcome = "blackhole"
        return self.outcome


@dataclass
class FlowResult:
    spec: FlowSpec
    connections: list[Connection] = field(default_factory=list)
    problem: str | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.connections)

    @property
    def completed(self) -> int:
        return sum(1 for c in self.connections if c.ok)

    def share(self, outcomes: frozenset[str]) -> float:
        total = sum(c.weight for c in self.connections)
        if not total:
            return 0.0
        return sum(c.weight for c in self.connections if c.outcome in outcomes) / total

    @property
    def share_failed(self) -> float:
        return self.share(FAILED)

    @property
    def effective_n(self) -> float:
        """Kish's effective sample size of the weighted connections."""
        w = [c.weight for c in self.connections]
        sq = sum(x * x for x in w)
        return (sum(w) ** 2 / sq) if sq else 0.0

    def branches(self) -> list[dict[str, Any]]:
        """Connections grouped by (edge out, edge back, outcome), with their weight share."""
        total = sum(c.weight for c in self.connections) or 1.0
        groups: dict[tuple[str | None, str | None, str], float] = defaultdict(float)
        for c in self.connections:
            fwd = "+".join(sorted(c.forward)) or None
            back = "+".join(sorted(c.back)) or None
            groups[(fwd, back, c.outcome)] += c.weight / total
        return [
            {"weight": round(w, 6), "forward_edge": f, "return_edge": r, "outcome": o}
            for (f, r, o), w in sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0])))
        ]

    def edge_shares(self, back: bool) -> dict[str | None, float]:
        total = sum(c.weight for c in self.connections) or 1.0
        out: dict[str | None, float] = defaultdict(float)
        for c in self.connections:
            edges = c.back if back else c.forward
            if not edges:
                out[None] += c.weight / total
            for e in edges:
                out[e] += c.weight / total / len(edges)
        return dict(out)

    def verdict(self) -> str:
        """The worst outcome observed (ok < asymmetric < dropped < blackhole < unreachable)."""
        if self.problem is not None:
            return "error"
        seen = {c.outcome for c in self.connections}
        return max(seen, key=OUTCOMES.index) if seen else "error"

    def to_dict(self) -> dict[str, Any]:
        s = self.spec
        out: dict[str, Any] = {
            "key": s.key,
            "direction": s.direction,
            "origin": s.origin,
            "port": s.port,
            "proto": s.proto,
            "verdict": self.verdict(),
            "attempted": self.attempted,
            "completed": self.completed,
            "share_failed": round(self.share_failed, 6),
            "effective_n": round(self.effective_n, 2),
            "outcomes": {o: round(self.share(frozenset({o})), 6) for o in OUTCOMES},
            "forward_edges": _edges(self.edge_shares(back=False)),
            "return_edges": _edges(self.edge_shares(back=True)),
            "branches": self.branches(),
            "pieces": len(s.strata),
            "evidence": self.evidence,
            "error": self.problem,
        }
        if s.endpoint_set is not None:
            out["endpoint_set"] = s.endpoint_set
        if s.proxy_site is not None:
            out["proxy_site"] = s.proxy_site
        if s.front_end is not None:
            out["front_end"] = s.front_end
        return out


def _edges(shares: dict[str | None, float]) -> dict[str, float]:
    return {
        (k if k is not None else "none"): round(v, 6)
        for k, v in sorted(shares.items(), key=lambda kv: str(kv[0]))
    }


def summarize(connections: list[Connection]) -> list[str]:
    """Evidence lines for a flow's failed connections: who dropped them and why, who holds
    sessions it never saw answered, what was translated."""
    lines: list[str] = []
    failed = [c for c in connections if not c.ok]
    drops = Counter(d for c in failed for d in c.drops)
    for (node, reason), n in sorted(drops.items()):
        lines.append(f"{n} dropped at {node}: {reason}")
    held = Counter(s for c in failed for s in c.sessions)
    for (node, state), n in sorted(held.items()):
        lines.append(f"{n} failed with a session at {node} ({state})")
    stages = Counter((c.stage, c.error) for c in failed if not c.drops)
    for (stage, error), n in sorted(stages.items(), key=lambda kv: str(kv[0])):
        lines.append(f"{n} failed at {stage}: {error}")
    nat = Counter(n for c in connections for n in c.nat)
    by_node: dict[str, list[str]] = defaultdict(list)
    for (node, addr), _ in sorted(nat.items()):
        by_node[node].append(addr)
    for node, addrs in by_node.items():
        shown = ", ".join(addrs[:6]) + (f" (+{len(addrs) - 6})" if len(addrs) > 6 else "")
        lines.append(f"translated at {node} to {shown}")
    answers = Counter(c.answer for c in connections if c.answer)
    if answers:
        lines.append("DNS answered " + ", ".join(f"{a} ({n})" for a, n in answers.most_common(4)))
    return lines
