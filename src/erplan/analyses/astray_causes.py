"""Where a packet goes astray: the first router that reaches no holder of the internal
address it carries, the device or WAN link that is down and cuts it off from the holders, and
the hosts that pull it elsewhere (the most specific prefix they hold over its address, or a
server or proxy address that stands outside its own site's prefixes)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network

from erplan.analyses.causes import Culprit
from erplan.engine import Engine, Path
from erplan.engine.nodes import Kind
from erplan.engine.ranges import addr
from erplan.engine.routes import Internal
from erplan.engine.trace import Hop
from erplan.model import Design

# Routers with one way into the customer network, and the hosts of a site (one way out: a
# device down between them and the site router leaves them without a route).
_EDGES = (Kind.LINK, Kind.CE, Kind.BREAKOUT, Kind.LAN)
_INWARD = (Kind.CE, Kind.SITE)
_ROUTERS = (Kind.SITE, Kind.LAN, Kind.CE, Kind.LINK, Kind.BREAKOUT)


def delivered_elsewhere(engine: Engine, path: Path) -> tuple[str, str, Culprit] | None:
    """A packet delivered to another site's hosts: what pulls it there is the most specific
    prefix those hosts hold over its address (longest prefix first) - unless the address
    is a server's or a proxy's that no prefix of its own site holds: then that address is
    what stands in the wrong place."""
    last = path.hops[-1]
    node = engine.net.nodes[last.node]
    site = node.site  # only hosts are delivered to: a site's, Microsoft's, the internet's
    holding = held(engine.design, site, last.dst) if site is not None else None
    if holding is None:
        return None
    culprit, prefix = holding
    at = f"{addr(last.dst)} lies in {prefix} of site {site}"
    own = stray(engine.design, last.dst)
    if own is not None:
        culprit, what, home = own
        why = f"{path.reason}: {what} {at}, outside every prefix of its own site {home}"
    else:
        why = f"{path.reason}: {at} (its most specific prefix there)"
    return "delivered-elsewhere", why, culprit


def held(design: Design, site: str, address: int) -> tuple[Culprit, IPv4Network] | None:
    """The most specific prefix a site's hosts hold over ``address``, and its path: a site
    prefix, or a service's public address that is its host's own (no translation)."""
    d = design
    found: list[tuple[Culprit, IPv4Network]] = [
        (("sites", site, "prefixes", i), p)
        for i, p in enumerate(d.sites[site].prefixes)
        if covers(p, address)
    ]
    found += [
        (("services", name, "public_address"), IPv4Network(svc.public_address))
        for name, svc in d.services.items()
        if svc.site == site and svc.internal_address is None and int(svc.public_address) == address
    ]
    return max(found, key=lambda x: x[1].prefixlen, default=None)


def stray(design: Design, address: int) -> tuple[Culprit, str, str] | None:
    """The server or proxy whose own address ``address`` is, when no prefix of its own
    site holds it: (its address's path, what it is, its site)."""
    d = design
    owners: list[tuple[Culprit, str, str]] = [
        (("servers", n, "address"), f"the address of server {n}", s.site)
        for n, s in d.servers.items()
        if int(s.address) == address
    ]
    owners += [
        (("devices", n, "address"), f"the address of {v.kind.value} {n}", v.site)
        for n, v in d.devices.items()
        if v.address is not None and int(v.address) == address
    ]
    for culprit, what, site in owners:
        if site in d.sites and not any(covers(p, address) for p in d.sites[site].prefixes):
            return culprit, what, site
    return None


def lost_at(engine: Engine, path: Path) -> Hop:
    """The first hop whose router reaches no holder of the internal address the packet
    carries, else the last hop."""
    tables, nodes = engine.tables, engine.net.nodes
    for h in path.hops:
        if nodes[h.node].kind not in _ROUTERS:
            continue
        cls = tables.routes.route_class(h.dst)
        if isinstance(cls, Internal) and not tables.reaches(h.node, cls):
            return h
    return path.hops[-1]


def cut_off_by(engine: Engine, end: Hop) -> str | None:
    """The device that is down on the only way in from ``end`` (a link's, a circuit's or
    a breakout's edge, or the hosts of a site, whose way out to the site router is that way
    in): the packets reach that edge and go no further on their way.
    The way in is followed through the customer edge: a link's edge has no route either
    when a device between its customer edge and the site is down (a NAT device holding
    the address it is sent to)."""
    net = engine.net
    node = net.nodes[end.node]
    while node.kind in _EDGES:
        inward = [(v, w) for v, w in net.wires[node.id].items() if net.nodes[v].kind in _INWARD]
        if not inward:
            return None
        if not any(w.up for _, w in inward):
            down = (d for _, w in inward for d in w.devices if not net.nodes[d].up)
            return next((net.nodes[d].name for d in down), None)
        if len(inward) != 1:
            return None
        node = net.nodes[inward[0][0]]
    return None


def cut_by_wan(engine: Engine, last: Hop, parts: Callable[[], dict[str, str]]) -> int | None:
    """The WAN link that is down between ``last`` (a customer router) and the holders of
    the internal address it heads for: the first whose being up joins them (``parts``: the
    WAN's parts over its up links, see ``wan_parts``)."""
    net = engine.net
    site = net.nodes[last.node].site
    cls = engine.tables.routes.route_class(last.dst)
    if site is None or not isinstance(cls, Internal):
        return None
    holders = {s for a in cls.anchors if (s := net.nodes[a].site) is not None}
    return wan_cut_between(engine, site, holders, parts) if holders else None


def wan_cut_between(
    engine: Engine, site: str, others: set[str], parts: Callable[[], dict[str, str]]
) -> int | None:
    """The WAN link that is down between ``site`` and every one of ``others``: the first
    whose being up joins ``site`` to one of them (None when they are joined already, or no
    one link joins them)."""
    part = parts()  # asked for only here: most failures never need the WAN's parts
    mine = part.get(site, site)
    theirs = {part.get(h, h) for h in others}
    if mine in theirs:
        return None
    # One link more joins the two when it joins site's part to one of theirs.
    for i, w in enumerate(engine.design.wan):
        if w.up:
            continue
        a, z = (part.get(x, x) for x in w.between)
        if (a == mine and z in theirs) or (z == mine and a in theirs):
            return i
    return None


def wan_parts(links: list[tuple[str, str]]) -> dict[str, str]:
    """Each site that ``links`` join to another, to one site standing for all it is joined
    to (a site they leave out stands for itself)."""
    near: dict[str, list[str]] = {}
    for a, z in links:
        near.setdefault(a, []).append(z)
        near.setdefault(z, []).append(a)
    part: dict[str, str] = {}
    for site in near:
        if site in part:
            continue
        part[site], todo = site, [site]
        while todo:
            for y in near[todo.pop()]:
                if y not in part:
                    part[y] = site
                    todo.append(y)
    return part


def covers(p: IPv4Network, address: int) -> bool:
    return int(p.network_address) <= address < int(p.network_address) + p.num_addresses
