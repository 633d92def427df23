"""Flows other than the users': servers' outbound flows and every inbound flow's initiators.

From the design and the catalogs alone (docs/flow-semantics.md "Flows"): ``srv/<server>/<set
id>`` from a server's address to each set it connects to, as for users; ``in/<service>/<front
end>/<port>`` from the initiator in every region running it, ``in/<service>/microsoft/<port>``
from other Microsoft services, ``in/<service>/internet/<port>`` from an internet user.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address

from erplan.catalogs import OTHER_MICROSOFT, Catalogs, EndpointSet, FrontEnd
from erplan.emulate.addresses import AddressRange
from erplan.emulate.flows import (
    FlowSpec,
    Opener,
    Stratum,
    resolver_site,
    set_name,
    set_protocols,
)
from erplan.model import Design, Server, Service


def server_sets(catalogs: Catalogs, server: Server) -> list[EndpointSet]:
    """What a server connects to: each entry of ``connects_to`` is an endpoint set id, a
    service or service area (its sets with addresses or names), or a host name of the catalog
    (the set listing it exactly, else its ExpressRoute-able set, else the first); each set once,
    by id."""
    found: dict[int, EndpointSet] = {}
    for target in server.connects_to:
        sets: list[EndpointSet]
        if target.isdigit():
            es = catalogs.endpoint_set(int(target))
            sets = [es] if es is not None else []
        else:
            sets = [
                es
                for es in catalogs.sets_for_service_area(_area(catalogs, target))
                if es.ips or es.urls
            ]
            if not sets:
                named = list(catalogs.sets_for_fqdn(target))
                exact = [es for es in named if target.lower() in (u.lower() for u in es.urls)]
                sets = (exact or [es for es in named if es.express_route] or named)[:1]
        for es in sets:
            found.setdefault(es.id, es)
    return [found[k] for k in sorted(found)]


def server_flows(design: Design, catalogs: Catalogs) -> Iterator[FlowSpec]:
    """A server's connections to each set it connects to, from its own address, resolved at
    its site's resolver egress; never through a proxy."""
    for name, server in design.servers.items():
        piece = AddressRange(server.address, server.address)
        for es in server_sets(catalogs, server):
            for suffix, port, proto in set_protocols(es):
                yield FlowSpec(
                    key=f"srv/{name}/{es.id}{suffix}",
                    direction="outbound",
                    origin=server.site,
                    port=port,
                    strata=(Stratum(piece, 1.0),),
                    endpoint_set=es.id,
                    name=set_name(es.id),
                    third_party=es.third_party,
                    resolver_site=resolver_site(design, server.site),
                    proto=proto,
                )


# flow-semantics "Initiator address": SMTP from Exchange Online Protection also comes from
# addresses outside every advertised prefix, half of its connections.
SMTP = 25
SMTP_AREA = "Exchange"
SMTP_OUTSIDE_SHARE = 0.5


def initiator_front_ends(design: Design, catalogs: Catalogs, service: str) -> list[FrontEnd]:
    """The Microsoft regions running a service's initiator: ``initiator_regions``, else every
    geography's home front end, the service's (or tenant's) geography first."""
    svc = design.services[service]
    if svc.initiator_regions is not None:
        names = list(svc.initiator_regions)
    else:
        home = catalogs.home_front_end(svc.initiator_geography or design.tenant.geography)
        names = [home.name] if home is not None else []
        names += [g.home_front_end for g in catalogs.geographies]
    found: dict[str, FrontEnd] = {}
    for name in names:
        fe = catalogs.front_end(name)
        if fe is not None:
            found.setdefault(fe.name, fe)
    return list(found.values())


def _area(catalogs: Catalogs, name: str) -> str:
    """The service area a service name stands for (the name itself when it is one)."""
    record = catalogs.service(name)
    return record.service_area if record is not None and record.service_area else name


def initiator_set(catalogs: Catalogs, initiator: str, port: int) -> EndpointSet | None:
    """The endpoint set an initiating service connects from: its service area's sets with
    addresses, ExpressRoute-able ones first, one serving ``port`` when there is one."""
    with_ips = [es for es in catalogs.sets_for_service_area(_area(catalogs, initiator)) if es.ips]
    candidates = [es for es in with_ips if es.express_route] or with_ips
    serving = [es for es in candidates if port in es.tcp_ports]
    chosen = serving or candidates
    return chosen[0] if chosen else None


def _one(address: IPv4Address, weight: float = 1.0) -> Stratum:
    return Stratum(AddressRange(address, address), weight)


def inbound_flows(
    design: Design, catalogs: Catalogs, internet_user: IPv4Address | None = None
) -> Iterator[FlowSpec]:
    """Per service and port: from its initiator in every region running it, from other
    Microsoft services and from internet users when the design says they use it."""
    for name, svc in design.services.items():
        fronts = initiator_front_ends(design, catalogs, name)
        by_port = {port: initiator_set(catalogs, svc.initiator, port) for port in svc.ports}
        for fe in fronts:
            for port in svc.ports:
                es = by_port[port]
                problem = (
                    None
                    if es is not None
                    else (f"initiator {svc.initiator}: no endpoint set with addresses")
                )
                strata: tuple[Stratum, ...] = ()
                if es is not None:
                    main = catalogs.front_end_address(es, fe)
                    strata = (_one(main),)
                    if port == SMTP and es.service_area == SMTP_AREA:
                        outside = catalogs.front_end_address(OTHER_MICROSOFT, fe)
                        strata = (
                            _one(main, 1 - SMTP_OUTSIDE_SHARE),
                            _one(outside, SMTP_OUTSIDE_SHARE),
                        )
                yield _inbound(svc, name, fe.name, port, strata, problem, fe.name)
        if not fronts:
            geography = svc.initiator_geography or design.tenant.geography
            for port in svc.ports:
                problem = f"no front end for the initiator regions of geography {geography}"
                yield _inbound(svc, name, "?", port, (), problem, None)
        home = catalogs.home_front_end(svc.initiator_geography or design.tenant.geography)
        if svc.used_by_other_microsoft_services:
            for port in svc.ports:
                if home is None:
                    yield _inbound(svc, name, "microsoft", port, (), "no home front end", None)
                    continue
                other = catalogs.front_end_address(OTHER_MICROSOFT, home)
                yield _inbound(svc, name, "microsoft", port, (_one(other),), None, home.name)
        if svc.used_by_internet_users:
            for port in svc.ports:
                strata = (_one(internet_user),) if internet_user is not None else ()
                problem = None if internet_user is not None else "no internet user address"
                yield _inbound(svc, name, "internet", port, strata, problem, None, "internet")


def _inbound(
    svc: Service,
    service: str,
    source: str,
    port: int,
    strata: tuple[Stratum, ...],
    problem: str | None,
    front_end: str | None,
    opener: Opener = "microsoft",
) -> FlowSpec:
    svc_key = f"in/{service}/{source}/{port}"
    return FlowSpec(
        key=svc_key,
        direction="inbound",
        origin=service,
        port=port,
        strata=strata,
        service=service,
        front_end=front_end,
        initiator=strata[0].piece.first if strata else None,
        destination=svc.dns_record,
        problem=problem,
        opener=opener,
    )
