"""Every flow the design implies, derived from the design and the catalogs alone.

Keys and meaning follow docs/flow-semantics.md ("Flows"): ``dns/<site>``, ``out/<site>/<set
id>``, ``in/<service>/<front end>/<port>``. Nothing here decides a path: a flow says who opens
connections from which addresses to what name or address; the emulated network does the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from itertools import pairwise
from typing import Literal

from erplan.catalogs import Catalogs, EndpointSet
from erplan.emulate.addresses import AddressRange, first_usable, split_ranges
from erplan.facts import LINKS, dynamics_sets
from erplan.model import Design, ProxyMode

Direction = Literal["outbound", "inbound", "dns"]
Proto = Literal["tcp", "udp"]
Opener = Literal["microsoft", "internet"]  # where an inbound flow's connections start
NAME_SUFFIX = "sets.erplan.invalid"
DNS_PROBE_NAME = "probe.erplan.invalid"
DEFAULT_PORT = 443


def set_name(set_id: int) -> str:
    """The DNS name a client asks for endpoint set ``set_id`` (geoDNS answers it)."""
    return f"s{set_id}.{NAME_SUFFIX}"


@dataclass(frozen=True, slots=True)
class Stratum:
    """A piece of the origin's addresses that every table treats alike, and its share."""

    piece: AddressRange
    weight: float


@dataclass(frozen=True)
class FlowSpec:
    key: str
    direction: Direction
    origin: str  # the site (outbound, DNS) or the service (inbound)
    port: int  # the design's port (connections use their own emulation ports)
    strata: tuple[Stratum, ...] = ()
    endpoint_set: int | None = None
    name: str | None = None  # the name resolved before connecting
    third_party: bool = False
    proxy_site: str | None = None  # outbound through the proxy at this site
    proxy_address: IPv4Address | None = None  # ... listening on this address
    proxy_listen: IPv4Address | None = None  # a chain's first proxy, where the clients connect
    proxy_cloud: bool = False  # ... a cloud proxy on the internet (the clients resolve first)
    proxy_chain: tuple[IPv4Address, ...] = ()  # every proxy of the chain, first to last
    resolver_site: str | None = None  # the site whose resolver the opener asks
    own_dns: bool = False  # the opener (a proxy with an egress) asks the internet's DNS itself
    service: str | None = None
    front_end: str | None = None
    initiator: IPv4Address | None = None
    destination: IPv4Address | None = None  # inbound: the DNS record connected to
    opener: Opener = "microsoft"  # inbound: the namespace its connections start in
    problem: str | None = None  # why the flow cannot be emulated (the run fails with it)
    proto: Proto = "tcp"  # udp: datagrams to an echo, a reply and a second exchange
    notes: tuple[str, ...] = field(default=())


def design_prefixes(design: Design) -> Iterator[IPv4Network]:
    """Every prefix and address the design writes down (as /32 for addresses)."""
    for site in design.sites.values():
        yield from site.prefixes
    for b in design.breakouts.values():
        yield from b.nat
        yield from b.advertises
    for c in design.circuits.values():
        yield from c.advertises
        yield from c.prepend
        for p in (c.snat_pool, c.inbound_snat_pool, c.primary_subnet, c.secondary_subnet):
            if p is not None:
                yield p
        for link in LINKS:
            if link in c.links:
                yield from c.links[link].advertises
                if c.links[link].snat_pool is not None:
                    pool = c.links[link].snat_pool
                    assert pool is not None
                    yield pool
    for svc in design.services.values():
        yield IPv4Network(svc.dns_record)
        yield IPv4Network(svc.public_address)
        if svc.internal_address is not None:
            yield IPv4Network(svc.internal_address)
        yield from svc.inbound_snat.values()
    for dev in design.devices.values():
        if dev.egress == "cloud" and dev.address is not None:
            yield IPv4Network(dev.address)  # on the internet, outside every site


def service_host_addresses(design: Design, site: str) -> list[IPv4Address]:
    """Addresses the servers of ``site`` hold: internal addresses, or public ones without."""
    out: list[IPv4Address] = []
    for svc in design.services.values():
        if svc.site == site:
            out.append(svc.internal_address or svc.public_address)
    return out


def host_address(design: Design, site: str) -> IPv4Address | None:
    """Where a site's resolver and proxy run: the first usable address of its first prefix
    (None: the site has no prefixes, so they run on its router)."""
    prefixes = design.sites[site].prefixes
    return first_usable(prefixes[0]) if prefixes else None


def resolver_site(design: Design, site: str) -> str | None:
    """The site whose resolver a site's clients ask: the site of its resolver egress; a site
    with neither a resolver egress nor a breakout resolves itself (its queries then follow its
    default route)."""
    return breakout_resolver(design, design.site_resolver_egress(site), site)


MAX_PINS = 63  # DSCP values a resolver can mark its queries with


def resolver_pins(design: Design) -> dict[str, int]:
    """A DSCP mark per breakout some site names as its ``resolver_egress``: that site's
    queries must leave by it (flow-semantics "Resolver"), and carry its mark to say so."""
    named = [s.resolver_egress for s in design.sites.values() if s.resolver_egress]
    egresses = [b for b in dict.fromkeys(named) if b in design.breakouts]
    if len(egresses) > MAX_PINS:
        raise ValueError(f"more than {MAX_PINS} breakouts are named as resolver egresses")
    return {b: i + 1 for i, b in enumerate(egresses)}


def pinned_clients(design: Design, resolver: str) -> list[tuple[IPv4Network, int]]:
    """The clients of the resolver at site ``resolver`` whose queries are pinned: the prefixes
    of each site that names its resolver egress there, with that egress's mark."""
    marks = resolver_pins(design)
    out: list[tuple[IPv4Network, int]] = []
    for name, site in design.sites.items():
        egress = site.resolver_egress
        if egress in marks and resolver_site(design, name) == resolver:
            out += [(p, marks[egress]) for p in site.prefixes]
    return out


def special_hosts(design: Design) -> list[IPv4Network]:
    """Resolver and proxy addresses: the breakouts let them out even from proxied sites."""
    out: list[IPv4Network] = []
    for name in design.sites:
        addr = host_address(design, name)
        if addr is not None:
            out.append(IPv4Network(addr))
    # Proxy devices and servers open their own connections: the perimeter lets them out.
    out.extend(IPv4Network(d.address) for d in design.devices.values() if d.address is not None)
    out.extend(IPv4Network(s.address) for s in design.servers.values())
    return out


def boundaries(design: Design) -> list[IPv4Network]:
    """Every prefix the design mentions, and the resolver and proxy addresses inside sites whose
    clients may not go out directly (the breakouts let those out, not the other clients there)."""
    closed = [p for s in closed_sites(design) for p in design.sites[s].prefixes]
    inside = [h for h in special_hosts(design) if any(h.subnet_of(p) for p in closed)]
    return [*design_prefixes(design), *inside]


def strata(design: Design, site: str) -> tuple[Stratum, ...]:
    """The site's addresses cut at every boundary the design mentions, weighted by size."""
    prefixes = design.sites[site].prefixes
    pieces = split_ranges(prefixes, boundaries(design))
    total = sum(p.size for p in pieces)
    # A resolver, proxy or server is counted with the users around it but never stands for
    # them (flow-semantics "Flows"): its own piece lends its address to the piece before it
    # (else after it) and opens no user connection; the breakout would let it out.
    apart = {h.network_address for h in special_hosts(design)}
    sizes = [p.size for p in pieces]
    alone = [p.size == 1 and p.first in apart for p in pieces]
    if all(alone):
        alone = [False] * len(pieces)
    for i, own in enumerate(alone):
        if own:
            j = next((k for k in range(i - 1, -1, -1) if not alone[k]), None)
            if j is None:
                j = next(k for k in range(i + 1, len(pieces)) if not alone[k])
            sizes[j] += 1
    return tuple(
        Stratum(p, n / total) for p, n, own in zip(pieces, sizes, alone, strict=True) if not own
    )


def tenant_sets(design: Design, catalogs: Catalogs) -> list[EndpointSet]:
    """The sets of the tenant's service areas and its Dynamics 365 environments, each once."""
    seen: dict[int, EndpointSet] = {}
    for area in design.tenant.services:
        for es in catalogs.sets_for_service_area(area):
            seen.setdefault(es.id, es)
    for es in dynamics_sets(design, catalogs):
        seen.setdefault(es.id, es)
    return [seen[k] for k in sorted(seen)]


def set_port(es: EndpointSet) -> int:
    """TCP 443, or the set's first TCP port when it does not list 443."""
    if not es.tcp_ports or DEFAULT_PORT in es.tcp_ports:
        return DEFAULT_PORT
    return es.tcp_ports[0]


def set_protocols(es: EndpointSet) -> list[tuple[str, int, Proto]]:
    """(key suffix, port, protocol) of each flow a set implies (flow-semantics "Flows"): its
    TCP flow, else its UDP one; and ``/udp`` for a set with UDP ports as well (media, QUIC)."""
    if not es.tcp_ports and es.udp_ports:
        return [("", es.udp_ports[0], "udp")]
    main: list[tuple[str, int, Proto]] = [("", set_port(es), "tcp")]
    if es.tcp_ports and es.udp_ports:
        main.append(("/udp", es.udp_ports[0], "udp"))
    return main


def relay_start(proxy: ProxySpec) -> tuple[str, IPv4Address] | None:
    """Where a proxied flow's datagrams start (site, address): the last proxy on premises of
    its chain, which relays them (an HTTP proxy relays no datagrams from clients, and the flow
    starts again at the proxy); None: the clients themselves, whose proxy is a cloud proxy
    relaying their datagrams from its own address on the internet."""
    if not proxy.cloud:
        return None if proxy.address is None else (proxy.site, proxy.address)
    return (proxy.relays[-1][0], proxy.relays[-1][1]) if proxy.relays else None


def _uses_proxy(design: Design, site: str, es: EndpointSet) -> bool:
    mode = design.sites[site].proxy.mode
    if mode is ProxyMode.ALL:
        return True
    if mode is ProxyMode.PAC:
        return not es.express_route
    return False


@dataclass(frozen=True)
class ProxySpec:
    """Where a site's proxy runs, what it listens on, whose resolver it asks, and the breakout
    its own connections and DNS queries must leave by (a policy route; None: routed like any
    host, resolving through ``resolver_site``)."""

    site: str
    address: IPv4Address | None
    resolver_site: str | None
    egress: str | None = None
    problem: str | None = None
    # A chain: where the clients connect (the first proxy), and each proxy before the last
    # with the address it forwards to, (site, address, upstream address).
    listen: IPv4Address | None = None
    relays: tuple[tuple[str, IPv4Address, IPv4Address], ...] = ()
    # The last proxy is a cloud service on the internet (its clients resolve through their own
    # resolver and send it the answer); the addresses of the chain's proxies that are down.
    cloud: bool = False
    down: frozenset[IPv4Address] = frozenset()

    @property
    def chain(self) -> tuple[IPv4Address, ...]:
        """Every proxy the clients' requests go through, first to last."""
        last = () if self.address is None else (self.address,)
        return (*(a for _, a, _ in self.relays), *last)


def cloud_addresses(design: Design, spare: Iterator[IPv4Address]) -> dict[str, IPv4Address]:
    """Where each cloud proxy listens on the emulated internet: its own address, else the next
    ``spare`` internet address."""
    return {
        name: dev.address or next(spare)
        for name, dev in design.devices.items()
        if dev.egress == "cloud"
    }


def breakout_resolver(design: Design, breakout: str | None, site: str) -> str | None:
    """The site whose resolver queries leaving by ``breakout`` (None: ``site`` resolves
    itself, its queries following its default route)."""
    if breakout is None:
        return site
    return design.breakouts[breakout].site if breakout in design.breakouts else None


def proxy_of(
    design: Design, site: str, clouds: Mapping[str, IPv4Address] | None = None
) -> ProxySpec:
    """The proxy a site's clients use (flow-semantics "Proxy" and "Proxies"): the site's
    ``proxy.device`` (its site, address, egress), else the first address of ``proxy.site``.
    A cloud proxy listens at its address in ``clouds`` (``cloud_addresses``) and ends a chain."""
    proxy = design.sites[site].proxy
    problem: str | None = None
    if proxy.device is None or proxy.device not in design.devices:
        at = proxy.site or site
        problem = None if design.sites[at].prefixes else f"proxy site {at} has no prefix"
        return ProxySpec(at, host_address(design, at), resolver_site(design, at), None, problem)
    # A chain: each proxy forwards to its upstream; the last one connects out.
    name = proxy.device
    hops: list[tuple[str, IPv4Address | None]] = []
    down: set[IPv4Address] = set()
    while True:
        dev = design.devices[name]
        cloud = dev.egress == "cloud"
        address = (
            (clouds or {}).get(name) if cloud else dev.address or host_address(design, dev.site)
        )
        hops.append((dev.site, address))
        if address is not None and not dev.up:
            down.add(address)
        if problem is None and address is None:
            problem = (
                f"proxy {name} is a cloud service without an address on the internet"
                if cloud
                else f"proxy {name} has no address (site {dev.site} has no prefix)"
            )
        # A cloud proxy connects out itself: nothing after it (flow-semantics "Proxies").
        if cloud or dev.upstream is None or dev.upstream not in design.devices:
            break
        if len(hops) > len(design.devices):
            problem = problem or f"proxy {proxy.device}: its chain loops"
            break
        name = dev.upstream
    relays = tuple((site, a, b) for (site, a), (_, b) in pairwise(hops) if a and b)
    if cloud:
        # Its clients find it, and the front end it reaches, through their own resolver.
        return ProxySpec(
            site,
            address,
            resolver_site(design, site),
            None,
            problem,
            hops[0][1],
            relays,
            cloud=True,
            down=frozenset(down),
        )
    # With an egress breakout of its own, the last proxy's connections leave by it whatever the
    # routers prefer for other hosts, and so do its DNS queries: it asks the internet's DNS
    # server itself, from its own address (flow-semantics "Resolver"). Else its site's resolver.
    egress = dev.egress if dev.egress in design.breakouts else None
    resolver = None if egress is not None else resolver_site(design, dev.site)
    return ProxySpec(
        dev.site, address, resolver, egress, problem, hops[0][1], relays, down=frozenset(down)
    )


def proxied_sites(design: Design) -> list[str]:
    """Sites whose clients send some names to a proxy (PAC or all through a proxy)."""
    return [n for n, s in design.sites.items() if s.proxy.mode is not ProxyMode.DIRECT]


def closed_sites(design: Design) -> list[str]:
    """Sites whose clients may not reach the internet directly (`proxy.direct_internet`)."""
    return [n for n, s in design.sites.items() if not s.proxy.direct_internet]


def _dns_flow(design: Design, site_name: str, problem: str | None) -> FlowSpec:
    site = design.sites[site_name]
    return FlowSpec(
        key=f"dns/{site_name}",
        direction="dns",
        origin=site_name,
        port=53,
        strata=strata(design, site_name) if site.prefixes else (),
        name=None,
        resolver_site=resolver_site(design, site_name),
        problem=problem or (None if site.prefixes else f"site {site_name} has no prefixes"),
    )


def resolving_sites(design: Design) -> list[str]:
    """Sites whose DNS is a flow of its own (flow-semantics "Flows"): those with users, the
    site whose resolver answers the last proxy their clients use (a cloud proxy, or one with
    an egress breakout of its own, has none), servers' sites."""
    out: dict[str, None] = {}
    for name, site in design.sites.items():
        if site.users <= 0:
            continue
        out[name] = None
        if site.proxy.mode is ProxyMode.DIRECT:
            continue
        at: str | None = site.proxy.site or name
        dev_name = site.proxy.device
        seen: set[str] = set()
        while dev_name in design.devices and dev_name not in seen:
            seen.add(dev_name)
            dev = design.devices[dev_name]
            # A cloud proxy has no site; one with an egress breakout resolves by itself.
            at = None if dev.egress == "cloud" or dev.egress in design.breakouts else dev.site
            dev_name = dev.upstream
        if at is not None:
            out[at] = None
    out.update((s.site, None) for s in design.servers.values())
    return list(out)


def outbound_flows(
    design: Design, catalogs: Catalogs, clouds: Mapping[str, IPv4Address] | None = None
) -> Iterator[FlowSpec]:
    sets = tenant_sets(design, catalogs)
    for name in resolving_sites(design):
        if design.sites[name].users <= 0:
            yield _dns_flow(design, name, None)
    for site_name, site in design.sites.items():
        if site.users <= 0:
            continue
        problem = None if site.prefixes else f"site {site_name} has users but no prefixes"
        origin_strata = strata(design, site_name) if site.prefixes else ()
        yield _dns_flow(design, site_name, problem)
        site_proxy = proxy_of(design, site_name, clouds)
        for es in sets:
            proxy = site_proxy if _uses_proxy(design, site_name, es) else None
            at = proxy.site if proxy is not None and not proxy.cloud else None
            flow_problem = problem or (proxy.problem if proxy is not None else None)
            # Datagrams start at the proxy on premises that relays them, else at the clients.
            start = relay_start(proxy) if proxy is not None else None
            relay = origin_strata
            if start is not None:
                relay = (Stratum(AddressRange(start[1], start[1]), 1.0),)
            for suffix, port, proto in set_protocols(es):
                udp = proto == "udp"
                yield FlowSpec(
                    key=f"out/{site_name}/{es.id}{suffix}",
                    direction="outbound",
                    origin=site_name,
                    port=port,
                    strata=relay if udp else origin_strata,
                    endpoint_set=es.id,
                    name=set_name(es.id),
                    third_party=es.third_party,
                    proxy_site=(start[0] if start else None) if udp else at,
                    proxy_address=proxy.address if proxy is not None else None,
                    proxy_listen=proxy.listen if proxy is not None else None,
                    proxy_cloud=proxy is not None and proxy.cloud,
                    proxy_chain=proxy.chain if proxy is not None else (),
                    resolver_site=proxy.resolver_site
                    if proxy
                    else resolver_site(design, site_name),
                    own_dns=proxy is not None and proxy.egress is not None,
                    problem=flow_problem,
                    proto=proto,
                )


def all_flows(
    design: Design,
    catalogs: Catalogs,
    internet_user: IPv4Address | None = None,
    clouds: Mapping[str, IPv4Address] | None = None,
) -> list[FlowSpec]:
    """Every flow: users' DNS and outbound flows, servers' outbound flows, inbound flows."""
    from erplan.emulate import initiators

    return [
        *outbound_flows(design, catalogs, clouds),
        *initiators.server_flows(design, catalogs),
        *initiators.inbound_flows(design, catalogs, internet_user),
    ]


MIN_PER_PIECE = 2


def connections_per_stratum(stratum: Stratum, per_flow: int) -> int:
    """Connections opened from a piece: its share of ``per_flow``, at least ``MIN_PER_PIECE``
    (every piece is tried; the flow's shares weight each by the addresses it stands for)."""
    return max(MIN_PER_PIECE, math.ceil(per_flow * stratum.weight - 1e-9))
