"""Where flows start and what they go to (docs/flow-semantics.md "Flows").

Outbound: a site's users towards every endpoint set of the tenant's service areas, directly or
through their proxy, to the address geoDNS answers where their DNS query leaves. DNS: the
site's clients to the resolver at their resolver egress, and the resolver to the internet.
Inbound: each published service, from the Microsoft service that initiates it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import EndpointSet, FrontEnd
from erplan.engine.network import Network
from erplan.engine.ranges import Range, net_range
from erplan.engine.tables import Tables
from erplan.engine.trace import Direction, Flow
from erplan.model import ProxyMode

# Internet hosts: a DNS server and a third-party CDN, at public addresses outside everything the
# design and the catalogs name (the first free candidate is taken).
_DNS_CANDIDATES = ("8.8.8.8", "9.9.9.9", "1.0.0.1", "4.2.2.2")
_CDN_CANDIDATES = ("2.16.0.1", "23.0.0.1", "96.16.0.1", "184.24.0.1")
# A resolver on a site without prefixes answers from its site's hosts at this address.
_RESOLVER_FALLBACK = IPv4Network("0.0.0.0/32")


@dataclass(frozen=True, slots=True)
class Sources:
    """The addresses a flow starts from: sub-ranges with their share."""

    parts: tuple[tuple[Range, float], ...]

    @staticmethod
    def of(net: Network, prefixes: list[IPv4Network]) -> Sources:
        parts = net.boundaries.split(net_range(p) for p in prefixes)
        total = sum(p.size for p in parts)
        return Sources(tuple((p, p.size / total) for p in parts))

    def addresses(self) -> list[tuple[int, float]]:
        """One address per sub-range (a host's, not the network's, where there is room)."""
        return [(r.start + 1 if r.size > 2 else r.start, share) for r, share in self.parts]

    @staticmethod
    def one(address: int) -> Sources:
        return Sources(((Range(address, 1), 1.0),))


def first_host(net: IPv4Network) -> int:
    start = int(net.network_address)
    return start + 1 if net.num_addresses > 2 else start


class Origins:
    def __init__(self, net: Network, tables: Tables) -> None:
        self.net = net
        self.tables = tables
        self.design = net.design
        self.catalogs = net.catalogs
        self.dns_host = self._free(_DNS_CANDIDATES)
        self.cdn_host = self._free(_CDN_CANDIDATES)
        self._facts: dict[int, tuple[int, str, str | None, bool]] = {}
        self._answers: dict[tuple[int, str], int] = {}

    def _free(self, candidates: tuple[str, ...]) -> int:
        t = self.tables
        for c in candidates:
            a = int(IPv4Address(c))
            if not t.is_customer(a) and not t.is_microsoft(a):
                return a
        a = 0x02000001  # 2.0.0.1, then upwards until free
        while t.is_customer(a) or t.is_microsoft(a):
            a += 256
        return a

    # -- the tenant's endpoint sets ----------------------------------------------------------------
    def endpoint_sets(self) -> list[EndpointSet]:
        seen: dict[int, EndpointSet] = {}
        for area in self.design.tenant.services:
            svc = self.catalogs.service(area)
            name = svc.service_area if svc is not None and svc.service_area else area
            for es in self.catalogs.sets_for_service_area(name):
                if (es.ips or es.urls) and es.id not in seen:
                    seen[es.id] = es
        return [seen[k] for k in sorted(seen)]

    # -- hosts -------------------------------------------------------------------------------------
    def resolver_address(self, site: str) -> int:
        prefixes = self.design.sites[site].prefixes
        return first_host(prefixes[0]) if prefixes else int(_RESOLVER_FALLBACK.network_address)

    def proxy_address(self, site: str) -> int | None:
        prefixes = self.design.sites[site].prefixes
        return first_host(prefixes[0]) if prefixes else None

    def users(self, site: str) -> Sources | None:
        prefixes = self.design.sites[site].prefixes
        return Sources.of(self.net, list(prefixes)) if prefixes else None

    # -- flows -------------------------------------------------------------------------------------
    def proxied(self, site: str, es: EndpointSet) -> str | None:
        """The proxy's site when the site's clients send this set to a proxy."""
        proxy = self.design.sites[site].proxy
        if proxy.mode is ProxyMode.ALL or (proxy.mode is ProxyMode.PAC and not es.express_route):
            return proxy.site or site
        return None

    def outbound(self, site: str, es: EndpointSet, front_end: FrontEnd | None) -> Flow:
        """The flow of ``site``'s users to set ``es``; ``front_end``: what geoDNS answered where
        the flow's DNS query left (None: DNS found no way out)."""
        proxy = self.proxied(site, es)
        start = proxy or site
        port, proto, fqdn, third = self.set_facts(es)
        dst = self.answer_address(es, front_end)
        return Flow(
            f"out/{site}/{es.id}",
            Direction.OUTBOUND,
            site,
            port,
            proto,
            es.id,
            fqdn,
            start,
            proxy,
            self.design.site_resolver_egress(start),
            front_end.name if front_end is not None and not third else None,
            dst,
            None,
            es.express_route,
            third,
        )

    def set_facts(self, es: EndpointSet) -> tuple[int, str, str | None, bool]:
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
        if es.third_party:
            return self.cdn_host
        if front_end is None:
            return 0
        key = (es.id, front_end.name)
        got = self._answers.get(key)
        if got is None:
            got = int(self.catalogs.front_end_address(es, front_end))
            self._answers[key] = got
        return got

    def dns(self, site: str) -> Flow:
        return Flow(
            key=f"dns/{site}",
            direction=Direction.DNS,
            origin=site,
            port=53,
            proto="udp",
            start=site,
            resolver=self.design.site_resolver_egress(site),
            destination=self.dns_host,
        )

    def inbound(self) -> Iterator[Flow]:
        d, cat = self.design, self.catalogs
        for name, svc in d.services.items():
            geography = svc.initiator_geography or d.tenant.geography
            fe = cat.home_front_end(geography)
            es = self.initiator_set(svc.initiator)
            if fe is None or es is None:
                continue
            source = int(cat.front_end_address(es, fe))
            for port in svc.ports:
                yield Flow(
                    key=f"in/{name}/{fe.name}/{port}",
                    direction=Direction.INBOUND,
                    origin=name,
                    port=port,
                    fqdn=svc.fqdn,
                    start=svc.site,
                    front_end=fe.name,
                    destination=int(svc.dns_record),
                    source=source,
                )

    def initiator_set(self, initiator: str) -> EndpointSet | None:
        """The endpoint set whose addresses an initiating Microsoft service connects from."""
        cat = self.catalogs
        svc = cat.service(initiator)
        area = svc.service_area if svc is not None and svc.service_area else initiator
        sets = [es for es in cat.sets_for_service_area(area) if es.ips]
        er = [es for es in sets if es.express_route]
        chosen = er or sets
        return chosen[0] if chosen else None
