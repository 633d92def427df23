"""Paths through devices: who owns which translated prefix, and how a device forwards.

A device is a bump in the wire: it decides nothing. On each path it stands on it has an inside
and an outside interface; what enters inside leaves outside and the other way round (policy
routing by input interface), except a packet that a translation made local to one side: after a
NAT point reverses its translation, the destination is an inside address again, and a prefix
owned further out (a pool of the edge behind it) is sent on out. One namespace per device, so
one session table however many paths it stands on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from erplan.emulate import nft
from erplan.emulate.addresses import pool_slots
from erplan.emulate.flows import design_prefixes, service_host_addresses
from erplan.emulate.network import Builder, Draft, End, PlanError
from erplan.emulate.topology import Route, Rule
from erplan.facts_edges import (
    Edge,
    NatPoint,
    Translation,
    TranslationKind,
    edge_devices,
    static_nat,
    translations,
)
from erplan.model import Design


def internal_prefixes(design: Design, infra: IPv4Network) -> list[IPv4Network]:
    """What the customer network routes inside (docs/flow-semantics.md "Routing"): every
    site's prefixes, every pool and translated published address, the public address of a
    service without an internal one, and the emulation's own addresses."""
    out: dict[IPv4Network, None] = {}
    for site in design.sites.values():
        out.update(dict.fromkeys(site.prefixes))
    for t in translations(design):
        out[t.prefix] = None
    for svc in design.services.values():
        if svc.internal_address is None:
            out[IPv4Network(svc.public_address)] = None
    out[infra] = None
    return list(out)


def site_host_prefixes(design: Design, site: str) -> list[IPv4Network]:
    """What the hosts of a site hold: its prefixes and its servers' addresses."""
    held = list(design.sites[site].prefixes)
    for addr in service_host_addresses(design, site):
        net = IPv4Network(addr)
        if not any(net.subnet_of(p) for p in held):
            held.append(net)
    return held


@dataclass
class Position:
    """A device's place on one path: its interfaces and its two neighbours' addresses."""

    device: str
    inside: End
    outside: End


@dataclass
class Chain:
    """A path from an inner node to an outer node through devices, once linked."""

    edge: Edge | None  # None for a site's hosts path
    inner: End  # the inner node's end (``peer``: its next hop outwards)
    outer: End  # the outer node's end (``peer``: its next hop inwards)
    positions: list[Position] = field(default_factory=list)


class Devices:
    """Device namespaces, created on first use, and the tables of every position."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.node_of: dict[str, str] = {}
        self.tables: dict[str, int] = defaultdict(int)
        self.inside: dict[str, list[str]] = defaultdict(list)
        self.slots_of: dict[IPv4Network, tuple[IPv4Address, ...]] = {}
        self.boundaries = list(design_prefixes(b.design))

    def node(self, device: str) -> Draft:
        name = self.node_of.get(device)
        if name is None:
            name = f"d{list(self.b.design.devices).index(device)}"
            self.node_of[device] = name
            spec = self.b.design.devices[device]
            label = f"device {device} ({spec.kind.value}{', down' if not spec.up else ''})"
            return self.b.node(name, "device", label)
        return self.b.drafts[name]

    def chain(
        self,
        inner: str,
        outer: str,
        devices: Sequence[str],
        edge: Edge | None,
        inward: list[IPv4Network],
        owned: dict[int, list[IPv4Network]],
    ) -> Chain:
        """Link inner -- devices... -- outer. ``inward``: prefixes that lie on the inner side
        of the whole path; ``owned[k]``: prefixes translated at position k (len(devices) is
        the outer node)."""
        if len(set(devices)) != len(devices):
            raise PlanError(f"a device appears twice on one path: {', '.join(devices)}")
        positions: list[Position] = []
        prev = inner
        first: End | None = None
        ins: list[End] = []
        for dev in devices:
            dn = self.node(dev).name
            a, b_end = self.b.link(prev, dn)
            if first is None:
                first = a
            ins.append(b_end)
            if positions:
                positions[-1].outside = a
            positions.append(Position(dev, b_end, b_end))
            prev = dn
        a, last = self.b.link(prev, outer)
        if first is None:
            first = a
        if positions:
            positions[-1].outside = a
        chain = Chain(edge, first, last, positions)
        for k, pos in enumerate(positions):
            beyond = [p for j, ps in owned.items() if j > k for p in ps]
            at_or_beyond = {p for j, ps in owned.items() if j >= k for p in ps}
            inside = [p for p in inward if p not in at_or_beyond]
            self._tables(pos, inside, beyond)
        return chain

    def _tables(self, pos: Position, inward: list[IPv4Network], beyond: list[IPv4Network]) -> None:
        draft = self.node(pos.device)
        n = self.tables[draft.name]
        self.tables[draft.name] = n + 1
        t_in, t_out = 10 + 2 * n, 11 + 2 * n
        to_out, to_in = (pos.outside.peer,), (pos.inside.peer,)
        for table, default in ((t_in, to_out), (t_out, to_in)):
            draft.routes.append(Route(IPv4Network("0.0.0.0/0"), default, table=table))
            for p in inward:
                draft.routes.append(Route(p, to_in, table=table))
            for p in beyond:
                draft.routes.append(Route(p, to_out, table=table))
        draft.rules += [Rule(pos.inside.ifname, t_in), Rule(pos.outside.ifname, t_out)]
        self.inside[draft.name].append(pos.inside.ifname)

    def up(self, chain: Chain) -> bool:
        """No device on the chain is down: a path through a device that is down is down
        (docs/flow-semantics.md "Routing"), so what is routed across it moves elsewhere."""
        return all(self.b.design.devices[p.device].up for p in chain.positions)

    def through(self, chain: Chain) -> list[Route]:
        """The inner node's route to the outer node's end across the chain's devices, by
        which the BGP next hops behind them resolve; none while the chain is down."""
        if not chain.positions or not self.up(chain):
            return []
        return [Route(IPv4Network(chain.outer.address), (chain.inner.peer,))]

    def slots(self, prefixes: Sequence[IPv4Network]) -> tuple[IPv4Address, ...]:
        key = IPv4Network(prefixes[0]) if len(prefixes) == 1 else None
        if key is not None and key in self.slots_of:
            return self.slots_of[key]
        found = tuple(pool_slots(prefixes, self.boundaries))
        if key is not None:
            self.slots_of[key] = found
        return found


def owned_by_point(design: Design) -> dict[NatPoint, list[Translation]]:
    out: dict[NatPoint, list[Translation]] = defaultdict(list)
    for t in translations(design):
        out[t.point].append(t)
    return out


def owned_positions(
    design: Design, edge: Edge, by_point: dict[NatPoint, list[Translation]]
) -> dict[int, list[IPv4Network]]:
    """Prefixes translated on ``edge``'s path, by position (the edge router is the last)."""
    devices = edge_devices(design, edge)
    out: dict[int, list[IPv4Network]] = defaultdict(list)
    for point, ts in by_point.items():
        if point.edge != edge:
            continue
        k = devices.index(point.device) if point.device is not None else len(devices)
        out[k] += [t.prefix for t in ts]
    return out


def apply_translations(
    devices: Devices,
    draft: Draft,
    point: NatPoint,
    ts: list[Translation],
    inside: tuple[str, ...],
    outside: tuple[str, ...],
) -> None:
    """The NAT rules of one NAT point, on the interfaces of its path."""
    design = devices.b.design
    if static_nat(design, point):
        for t in ts:
            if t.kind is TranslationKind.DNAT and t.target is not None:
                draft.add("static_nat", nft.StaticNat(t.prefix.network_address, t.target))
            elif t.kind is not TranslationKind.DNAT:
                devices.b.notes.append(
                    f"{point.id} is a static NAT: it cannot translate into {t.prefix} "
                    f"({t.kind.value}); that translation is not made"
                )
        return
    devices.b.nat_nodes.add(draft.name)
    snat = [t.prefix for t in ts if t.kind is TranslationKind.SNAT]
    if snat:
        draft.add("snat", nft.Snat(outside, devices.slots(snat), iif=inside))
    for t in ts:
        if t.kind is TranslationKind.DNAT and t.target is not None:
            draft.add("dnat", nft.Dnat(outside, t.prefix.network_address, t.target))
        elif t.kind is TranslationKind.INBOUND_SNAT and t.service is not None:
            svc = design.services[t.service]
            dest = svc.internal_address or svc.public_address
            draft.add("inbound_snat", nft.InboundSnat(outside, dest, devices.slots([t.prefix])))


def finish_devices(devices: Devices, by_point: dict[NatPoint, list[Translation]]) -> None:
    """State and down-ness of every device namespace (after every path is linked)."""
    design = devices.b.design
    for device, name in devices.node_of.items():
        spec = design.devices[device]
        draft = devices.b.drafts[name]
        translating = any(
            p.device == device and not static_nat(design, p) and ts for p, ts in by_point.items()
        )
        if not spec.up:
            draft.ruleset["down"] = True
        if (spec.stateful and not spec.static_nat) or translating:
            draft.ruleset["stateful_inside"] = tuple(devices.inside[name])


def position_of(chain: Chain, device: str) -> Position:
    for pos in chain.positions:
        if pos.device == device:
            return pos
    raise PlanError(f"device {device} is not on {chain.edge}")
