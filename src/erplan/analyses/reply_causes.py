"""Why a reply does not come back the way its request left: the entry's own preference for
another circuit, an inbound pool another entry translates into too, the circuit or breakout
that pulls the reply elsewhere, the link of a circuit it takes instead, and the advertisement
missing for it to come back at all."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

from erplan.analyses.astray_causes import covers
from erplan.analyses.causes import Culprit
from erplan.analyses.design_causes import advertised_on_a_link_down, pool_culprit
from erplan.engine import Branch, Engine, Outcome, Path
from erplan.engine.nodes import Kind
from erplan.engine.ranges import addr
from erplan.engine.routes import Regional
from erplan.engine.trace import edge_owner
from erplan.facts_edges import entry_breakouts, entry_circuits, inbound_pool
from erplan.model import Design

_owner = edge_owner


def unadvertised(engine: Engine, fwd: Path, back: Path) -> tuple[str, str, Culprit] | None:
    """A reply the internet or Microsoft has no route for: by a breakout, the breakout
    sends the source out without advertising it (nor translating it); by a circuit (whose
    unadvertised sources Microsoft drops on the way in), only a link that is down
    advertises it."""
    owner = _owner(fwd.edge) or ""
    if not owner.startswith(("breakout:", "circuit:")):
        return None
    if engine.net.nodes[back.hops[-1].node].kind not in (Kind.INTERNET, Kind.MICROSOFT):
        return None  # lost inside the customer network: not for want of an advertisement
    name = owner.split(":", 1)[1]
    to = back.hops[0].dst  # the reply's destination: the source the request left with
    if owner.startswith("circuit:"):
        return advertised_on_a_link_down(engine.design, name, to, back.reason)
    why = (
        f"{back.reason}: replies to {addr(to)} have no way back to breakout {name}, which "
        f"the request left by: it does not advertise {addr(to)} (nor translate it to an "
        "address the internet routes to it)"
    )
    return "no-route-back", why, ("breakouts", name, "advertises")


def entry_prefers(
    engine: Engine, entry: str | None, sender: int
) -> tuple[str, str, Culprit] | None:
    """An entry circuit whose own edge routes the initiator's address to another circuit
    (a higher local preference): a reply leaves that way even when inbound source NAT
    brings it back to the entry to be translated, so source NAT alone does not help."""
    if entry is None or not entry.startswith("circuit:"):
        return None
    name = entry.split(":", 1)[1]
    tables = engine.tables
    cls = tables.routes.route_class(sender)
    admitting = cls.circuits if isinstance(cls, Regional) else cls
    if not isinstance(admitting, frozenset) or name not in admitting:
        return None  # the entry has no route of its own for the sender: not a preference
    decision = tables.customer_decision(f"ce:{name}", sender)
    own = set(tables.links_up.get(name, ()))
    if not decision.nexts or set(decision.nexts) <= own or len(decision.culprit) < 2:
        return None
    other = str(decision.culprit[1])
    circuits = engine.design.circuits
    if other == name or other not in circuits:
        return None
    # What the fix changes: the entry's own local preference, raised to the other's, or
    # the other's preference for a regional community the sender's prefix carries.
    culprit: Culprit = ("circuits", name, "local_preference")
    if circuits[other].local_preference <= circuits[name].local_preference:
        culprit = ("circuits", other, "region_preference")
    why = (
        f"circuit {name}, which the request enters by, itself sends traffic to "
        f"{addr(sender)} by circuit {other} ({decision.route}): a reply leaves that way "
        "even after it is translated back at the entry"
    )
    return "entry-prefers-another-circuit", why, culprit


def shared_inbound_pool(
    design: Design, service: str, entry: str, reason: str
) -> tuple[str, str, Culprit] | None:
    """The entry source-NATs the connection, but into a pool another entry translates into
    too: the server's network routes the pool to one of them (DESIGN "State")."""
    d = design
    svc = d.services[service]
    kind, _, name = entry.partition(":")
    pool = inbound_pool(d, svc, name)
    if pool is None:
        return None
    pools = {
        o: inbound_pool(d, svc, o) for o in [*entry_circuits(d, svc), *entry_breakouts(d, svc)]
    }
    other = next((o for o, p in pools.items() if o != name and p and p.overlaps(pool)), None)
    if other is None:
        return None
    why = (
        f"the request enters by {entry} and is source-NATed into {pool}, which {other} "
        f"translates into too: the server's network routes that pool to one of them, and the "
        f"replies of the other's connections reach a device that never saw them ({reason})"
    )
    return "shared-inbound-pool", why, pool_culprit(d, service, kind, name)


def reply_link(engine: Engine, back: Path) -> str | None:
    """The circuit link a reply took: the one it entered by, or the one it was dropped on
    (a device standing on one link of a circuit: the link end of the device's wire, read
    from the network, since device and circuit names may hold '@', ':' and '/')."""
    if back.edge is not None:
        return back.edge
    if not back.hops:
        return None
    net = engine.net
    last = back.hops[-1].node
    wire = net.device_wire.get(last)
    for end in (wire.a, wire.b) if wire is not None else (last,):
        node = net.nodes[end]
        if node.kind is Kind.LINK and node.edge is not None:
            return node.edge.id
    return None


def returned_elsewhere(design: Design, b: Branch) -> tuple[str, str, Culprit]:
    """A reply that comes back by another circuit or breakout than its request left by, and
    what pulls it there."""
    back = b.back
    assert back is not None and back.hops
    dst = back.hops[0].dst  # the address the reply is sent to: the translated source
    edge = back.edge or ""
    kind, _, rest = edge.partition(":")
    name = rest.rpartition("/")[0] if kind == "circuit" else rest  # names may hold '/'
    culprit: Culprit = (kind + "s", name)
    where = ""
    # What pulls the reply there: the most specific of the owner's prefixes that covers it
    # (longest prefix first; the internet also routes to a breakout the NAT addresses it
    # does not advertise).
    lists: list[tuple[tuple[str, ...], Sequence[IPv4Network], str]] = []
    if kind == "circuit":
        c = design.circuits[name]
        lists = [(("advertises",), c.advertises, "advertises {}")]
        lists += [
            (("links", k.value, "advertises"), v.advertises, "advertises {}")
            for k, v in c.links.items()
        ]
    elif kind == "breakout":
        bk = design.breakouts[name]
        lists = [
            (("advertises",), bk.advertises, "advertises {} to the internet"),
            (("nat",), bk.nat, "translates into {}, which the internet routes to it"),
        ]
    best = -1
    for field, prefixes, text in lists:
        if best >= 0 and field == ("nat",):
            break  # an advertised prefix covers it: the NAT prefix is not announced
        for i, p in enumerate(prefixes):
            if covers(p, dst) and p.prefixlen > best:
                best = p.prefixlen
                culprit = (kind + "s", name, *field, i)
                where = f": {kind} {name} {text.format(p)}"
    why = (
        f"replies to {addr(dst)} come back by {edge} although the request left by "
        f"{b.forward.edge}{where}"
    )
    if b.outcome is not Outcome.ASYMMETRIC:
        why += f"; {back.reason}" if back.reason else ""
    owners = {kind, (_owner(b.forward.edge) or "").partition(":")[0]}
    # One way by a breakout, the other by a circuit: the internet's NAT addresses and the
    # peering's overlap (guide 000 §5), not two circuits' pools.
    key = "internet-nat-overlap" if owners == {"circuit", "breakout"} else "return-elsewhere"
    return key, why, culprit
