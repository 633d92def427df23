"""Where flows start and what they go to (docs/flow-semantics.md "Flows").

Outbound: a site's users towards every endpoint set of the tenant's service areas, directly or
through their proxies, to the address geoDNS answers where their DNS query leaves; servers
towards what they connect to. DNS: the site's clients to the resolver at their resolver egress,
and the resolver to the internet. Inbound flows are ``engine.inbound``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import NamedTuple

from erplan.catalogs import EndpointSet, FrontEnd
from erplan.engine.inbound import inbound_flows
from erplan.engine.network import Network, device_address
from erplan.engine.ranges import first_host, net_range
from erplan.engine.tables import Tables
from erplan.engine.trace import Direction, Flow
from erplan.facts import dynamics_sets
from erplan.model import Design, ProxyMode, Server

# Internet hosts: a DNS server, a third-party CDN, an internet user and a cloud proxy, at public
# addresses outside everything the design and the catalogs name (the first free candidate).
_DNS_CANDIDATES = ("8.8.8.8", "9.9.9.9", "1.0.0.1", "4.2.2.2")
_CDN_CANDIDATES = ("2.16.0.1", "23.0.0.1", "96.16.0.1", "184.24.0.1")
_USER_CANDIDATES = ("81.2.69.160", "93.184.216.34", "151.101.1.1")
_CLOUD_CANDIDATES = ("165.225.0.1", "136.226.0.1", "147.161.0.1")

_flow = tuple.__new__


@dataclass(frozen=True, slots=True)
class Sources:
    """The addresses a flow starts from: one per class of sub-ranges, with its share."""

    parts: tuple[tuple[int, float], ...]

    @staticmethod
    def of(net: Network, prefixes: list[IPv4Network]) -> Sources:
        groups = net.boundaries.classes((net_range(p) for p in prefixes), net.apart)
        total = sum(size for _, size in groups)
        return Sources(tuple((a, size / total) for a, size in groups))

    def addresses(self) -> list[tuple[int, float]]:
        return list(self.parts)

    @staticmethod
    def one(address: int) -> Sources:
        return Sources(((address, 1.0),))


@dataclass(frozen=True, slots=True)
class ProxyHop:
    """A proxy a flow goes through: a device, a proxy site's host, or a cloud service."""

    name: str  # the device's name, or "site:<site>" for a site's proxy without a device
    site: str | None  # where it stands (None: a cloud proxy on the internet)
    address: int | None
    resolver: str | None  # the breakout its DNS queries (and connections) leave by
    up: bool = True
    egress: str | None = None  # its own breakout (device ``egress``): it resolves by itself

    @property
    def cloud(self) -> bool:
        return self.site is None


class Resolving(NamedTuple):
    """Who resolves a flow's names (docs/flow-semantics.md "Resolver"): the clients of
    ``site`` through their resolver, or ``proxy``, a proxy with an egress of its own, by itself
    from its address at ``site``, its queries leaving by that egress."""

    site: str
    proxy: ProxyHop | None = None

    def egress(self, design: Design) -> str | None:
        """The breakout the queries must leave by (None: the resolver's default route)."""
        if self.proxy is not None:
            return self.proxy.egress
        return design.site_resolver_egress(self.site)


def resolving_at(origin: str, chain: tuple[ProxyHop, ...]) -> Resolving:
    """Who resolves the names of a flow of ``origin`` (a site's users, or a server's site)
    through ``chain``: the last proxy by itself when it has an egress of its own, else its
    site's resolver; the origin's own when it goes direct or to a cloud proxy (which resolves
    near where the clients leave, and which they find through their own resolver)."""
    if not chain or chain[-1].cloud:
        return Resolving(origin)
    last = chain[-1]
    assert last.site is not None
    return Resolving(last.site, last if last.egress is not None else None)


class Origins:
    def __init__(self, net: Network, tables: Tables) -> None:
        self.net = net
        self.tables = tables
        self.design = net.design
        self.catalogs = net.catalogs
        self.dns_host = self._free(_DNS_CANDIDATES)
        self.cdn_host = self._free(_CDN_CANDIDATES)
        self.user_host = self._free(_USER_CANDIDATES)
        self.cloud_host = self._free(_CLOUD_CANDIDATES)
        tables.classes.proxies.add(self.cloud_host)
        self._facts: dict[int, tuple[int, str, str | None, bool]] = {}
        self._answers: dict[tuple[int, str | None], int] = {}
        self._chains: dict[str, tuple[ProxyHop, ...]] = {}
        self._sets: tuple[EndpointSet, ...] | None = None
        self._leaves: dict[tuple[str, bool], tuple[str, str | None, str | None]] = {}
        self._users: dict[str, Sources | None] = {}

    def _free(self, candidates: tuple[str, ...]) -> int:
        t = self.tables.external
        for c in candidates:
            a = int(IPv4Address(c))
            if not t.is_customer(a) and not t.is_microsoft(a):
                return a
        # Else the first unicast address outside both, jumping past each prefix that holds one.
        a, end = (1 << 24) | 1, 224 << 24
        while a < end:
            hit = t.customer_space.lookup(a) or t.microsoft_hosts.lookup(a)
            if hit is None:
                return a
            size = 1 << (32 - hit[0])
            a = (a // size + 1) * size + 1
        raise ValueError("the design's prefixes leave no internet address free")

    # -- endpoint sets -------------------------------------------------------------------------
    def endpoint_sets(self) -> list[EndpointSet]:
        """The endpoint sets of the tenant's service areas, each once."""
        if self._sets is None:  # asked once per site with people
            self._sets = tuple(self._endpoint_sets())
        return list(self._sets)

    def _endpoint_sets(self) -> list[EndpointSet]:
        out: dict[int, EndpointSet] = {}
        for area in self.design.tenant.services:
            for es in self._area(area):
                out.setdefault(es.id, es)
        for es in dynamics_sets(self.design, self.catalogs):
            found = self.catalogs.endpoint_set(es.id)  # the one the tables were built from
            if found is not None:
                out.setdefault(es.id, found)
        return [out[k] for k in sorted(out)]

    def _area(self, area: str) -> tuple[EndpointSet, ...]:
        svc = self.catalogs.service(area)
        name = svc.service_area if svc is not None and svc.service_area else area
        return tuple(es for es in self.catalogs.sets_for_service_area(name) if es.ips or es.urls)

    def server_sets(self, server: Server) -> list[EndpointSet]:
        """What a server connects to: service areas, set ids or host names, each set once."""
        out: dict[int, EndpointSet] = {}
        for target in server.connects_to:
            if target.isdigit():
                es = self.catalogs.endpoint_set(int(target))
                found: tuple[EndpointSet, ...] = (es,) if es is not None else ()
            elif self.catalogs.service(target) is not None or self.catalogs.sets_for_service_area(
                target
            ):
                found = self._area(target)
            else:
                sets = self.catalogs.sets_for_fqdn(target)
                exact = [s for s in sets if target.lower() in (u.lower() for u in s.urls)]
                er = [s for s in sets if s.express_route]
                found = tuple((exact or er or list(sets))[:1])
            for es in found:
                out.setdefault(es.id, es)
        return [out[k] for k in sorted(out)]

    def set_facts(self, es: EndpointSet) -> tuple[int, str, str | None, bool]:
        """(port, protocol, first host name, third party) of a set's main flow."""
        got = self._facts.get(es.id)
        if got is None:
            if es.tcp_ports:
                port, proto = (443 if 443 in es.tcp_ports else es.tcp_ports[0]), "tcp"
            elif es.udp_ports:
                port, proto = es.udp_ports[0], "udp"
            else:
                port, proto = 443, "tcp"
            got = (port, proto, es.urls[0] if es.urls else None, es.third_party)
            self._facts[es.id] = got
        return got

    def answer_address(self, es: EndpointSet, front_end: FrontEnd | None) -> int:
        """The address the set's names resolve to when ``front_end`` answers (0: no answer)."""
        key = (es.id, None if front_end is None else front_end.name)
        got = self._answers.get(key)
        if got is None:
            if es.third_party:
                got = self.cdn_host
            elif front_end is None:
                got = 0
            else:
                got = int(self.catalogs.front_end_address(es, front_end))
            self._answers[key] = got
        return got

    # -- hosts ---------------------------------------------------------------------------------
    def resolver_address(self, site: str) -> int:
        prefixes = self.design.sites[site].prefixes
        return first_host(prefixes[0]) if prefixes else self.net.site_host(site)

    def users(self, site: str) -> Sources | None:
        """The site's user sources (None: it has no prefixes), cut into classes once: every
        flow and DNS query of the site starts from them."""
        if site in self._users:
            return self._users[site]
        prefixes = self.design.sites[site].prefixes
        got = self._users[site] = Sources.of(self.net, list(prefixes)) if prefixes else None
        return got

    # -- proxies -------------------------------------------------------------------------------
    def proxy_chain(self, site: str, es: EndpointSet) -> tuple[ProxyHop, ...]:
        """The proxies the site's clients send this set through, first to last (none: direct)."""
        proxy = self.design.sites[site].proxy
        if not (
            proxy.mode is ProxyMode.ALL or (proxy.mode is ProxyMode.PAC and not es.express_route)
        ):
            return ()
        got = self._chains.get(site)
        if got is None:
            got = self._chains[site] = self._chain(site)
        return got

    def _chain(self, site: str) -> tuple[ProxyHop, ...]:
        d = self.design
        proxy = d.sites[site].proxy
        if proxy.device is None:
            host = proxy.site or site
            prefixes = d.sites[host].prefixes
            return (
                ProxyHop(
                    f"site:{host}",
                    host,
                    first_host(prefixes[0]) if prefixes else None,
                    d.site_resolver_egress(host),
                ),
            )
        chain: list[ProxyHop] = []
        name: str | None = proxy.device
        while name is not None and all(h.name != name for h in chain):
            dev = d.devices[name]
            address: int | None
            if dev.egress == "cloud":
                address = self.cloud_host if dev.address is None else int(dev.address)
                chain.append(ProxyHop(name, None, address, None, dev.up))
            else:
                own = dev.egress if dev.egress in d.breakouts else None
                egress = own or d.site_resolver_egress(dev.site)
                address = device_address(d, dev)
                chain.append(ProxyHop(name, dev.site, address, egress, dev.up, own))
            name = dev.upstream
        return tuple(chain)

    def leaves_by(self, site: str, es: EndpointSet) -> tuple[str, str | None, str | None]:
        """(start site, resolver egress, first proxy) of the site's users' flows to ``es``:
        the same for every set the proxy settings treat alike, worked out once for them."""
        key = (site, es.express_route)
        got = self._leaves.get(key)
        if got is None:
            chain = self.proxy_chain(site, es)
            last = chain[-1] if chain else None
            start = site if last is None else (last.site or f"cloud:{last.name}")
            # A cloud proxy's clients find it, and their answers, through their own resolver.
            if last is None or last.cloud:
                resolver = self.design.site_resolver_egress(site)
            else:
                resolver = last.resolver
            got = self._leaves[key] = (start, resolver, chain[0].name if chain else None)
        return got

    # -- flows ---------------------------------------------------------------------------------
    def outbound(
        self,
        origin: str,
        es: EndpointSet,
        front_end: FrontEnd | None,
        *,
        server: Server | None = None,
        answers: tuple[tuple[str, int, float], ...] = (),
    ) -> Flow:
        """The flow of a site's users (or of a server) to set ``es``; ``front_end``: what geoDNS
        answered where the flow's DNS query left (None: DNS found no way out)."""
        d = self.design
        if server is None:
            start, resolver, proxy = self.leaves_by(origin, es)
            key, kind = f"out/{origin}/{es.id}", "users"
        else:
            start, resolver, proxy = server.site, d.site_resolver_egress(server.site), None
            key, kind = f"srv/{origin}/{es.id}", "server"
        port, proto, fqdn, third = self.set_facts(es)
        # Built as a plain tuple of its 18 fields: a large design makes hundreds of thousands.
        return _flow(
            Flow,
            (
                key,
                Direction.OUTBOUND,
                origin,
                port,
                proto,
                es.id,
                fqdn,
                start,
                proxy,
                resolver,
                front_end.name if front_end is not None and not third else None,
                self.answer_address(es, front_end),
                None,
                es.express_route,
                third,
                kind,
                (),
                answers,
            ),
        )

    def dns(self, site: str) -> Flow:
        return Flow(
            f"dns/{site}",
            Direction.DNS,
            site,
            53,
            "udp",
            start=site,
            resolver=self.design.site_resolver_egress(site),
            destination=self.dns_host,
            kind="dns",
        )

    def inbound(self) -> Iterator[Flow]:
        """The inbound flows to the published services (``inbound_flows``)."""
        return inbound_flows(self.design, self.catalogs, self.user_host)
