"""A circuit link's failure while the circuit's other link stays up: a row crossing the circuit
derived from its baseline trace, not walked again, where that is provably the same answer
(tests/test_link_failure.py compares every derived answer with a fresh engine's).

Every router splits a branch's weight evenly over its next hops (``walk.py``), and a reply's
over Microsoft's entries (``connect.py``). A circuit whose two links carry nothing of their own
(no device, pool or advertisement: ``alike``) gives each link half of what reaches its edge,
and a reply that can come back only by that circuit half to each link. With one link down, the
request and the reply both take the other link with the whole weight: the branches over the
surviving link both ways, their weights times four (exact in binary floating point), are the
fresh engine's. The walk before the circuit and after Microsoft does not read which link is
up (the circuit still has one: its routes, filters and stubs stay), and the stateful devices
stand before the link split, met by both directions alike. The row must show that shape: every
path works (a failing path need not list what it depends on), every request by the circuit
comes back by it and vice versa, over its two links only, the four combinations of links
carrying equal weight; its DNS crosses no circuit link that fails, and it has no proxy leg.
Anything else: walk it again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from erplan.analyses.failed_state import dns_of_flow, same_group
from erplan.analyses.paths import touched
from erplan.engine import Direction, Flow, FlowTrace
from erplan.engine.trace import edge_owner
from erplan.model import Design, LinkName

if TYPE_CHECKING:
    from erplan.analyses.failures import Baseline


def alike(design: Design, circuit: str) -> bool:
    """Whether the circuit's links carry nothing of their own: each listed only to be up or
    down, so the two are the same but for their names and peer subnets."""
    c = design.circuits[circuit]
    return all(not (x.advertises or x.snat_pool or x.devices) for x in c.links.values())


def failed_link(base: Baseline, kind: str, name: str) -> tuple[str, str, str] | None:
    """(circuit, the failed link's edge, the other link's edge) for a link failure whose
    circuit keeps its other link up and whose links are ``alike``; else None."""
    if kind != "link":
        return None
    circuit, _, link = name.rpartition("/")
    c = base.design.circuits.get(circuit)
    if c is None or not c.up or not alike(base.design, circuit):
        return None
    other = [x for x in LinkName if x.value != link]
    if len(other) != 1 or (other[0] in c.links and not c.links[other[0]].up):
        return None
    if link in c.links and not c.links[LinkName(link)].up:
        return None
    return circuit, f"circuit:{circuit}/{link}", f"circuit:{circuit}/{other[0].value}"


def derived_trace(
    base: Baseline, flows: list[Flow], down: set[str], failed: tuple[str, str, str]
) -> FlowTrace | None:
    """The trace a fresh engine makes of this group of flows with the link down, read off
    the baseline's row (module docstring); None: walk it again."""
    circuit, gone, kept = failed
    i = base.row_at.get(flows[0].key)
    key = f"circuit:{circuit}"
    if i is None or base.row_keys[i] & down != {key} or not same_group(base, i, flows):
        return None
    t = base.results[i].trace
    f = t.flow
    if f.direction is not Direction.OUTBOUND or f.proxy is not None:
        return None
    e = base.engine
    if any(key in touched(e.tracer.resolved(r), e.tables) for r in dns_of_flow(e, f)):
        return None
    combos: dict[tuple[str, str], float] = {}
    out = []
    for b in t.branches:
        if not b.outcome.works or b.back is None:
            return None
        there, back = b.forward.edge, b.back.edge
        if (edge_owner(there) == key) != (edge_owner(back) == key):
            return None
        if edge_owner(there) != key:
            out.append(b)
            continue
        if there not in (gone, kept) or back not in (gone, kept):
            return None
        combos[(there, back)] = combos.get((there, back), 0.0) + b.weight
        if there == kept and back == kept:
            out.append(b._replace(weight=b.weight * 4))
    if len(combos) != 4 or len(set(combos.values())) != 1:
        return None
    return replace(t, branches=tuple(out))
