"""Inbound flows (docs/flow-semantics.md "Flows", "Initiator address"): each published service,
per port, from every Microsoft region that runs the service that initiates it (the tenant's
region first), from other Microsoft services if they use it, from internet users if they do.
"""

from __future__ import annotations

from collections.abc import Iterator

from erplan.catalogs import OTHER_MICROSOFT, Catalogs, EndpointSet, FrontEnd
from erplan.engine.trace import Direction, Flow
from erplan.model import Design, Service

SMTP = 25
# Share of Exchange Online Protection's mail that comes from addresses outside the prefixes
# advertised over ExpressRoute (guide 000 / M-RT: "SMTP uses more of Microsoft's network than the
# ExpressRoute-advertised prefixes"). How much is not published: half is a modelling choice.
SMTP_OUTSIDE_SHARE = 0.5


def inbound_flows(design: Design, catalogs: Catalogs, user_host: int) -> Iterator[Flow]:
    """Per service and port: from every region running its initiator (the tenant's first),
    from other Microsoft services if they use it, from internet users if they do."""
    d, cat = design, catalogs
    for name, svc in d.services.items():
        dst = int(svc.dns_record)
        for fe in initiator_regions(design, catalogs, svc):
            for port in svc.ports:
                shares = initiator_sources(catalogs, svc, fe, port)
                if not shares:
                    continue
                yield Flow(
                    f"in/{name}/{fe.name}/{port}",
                    Direction.INBOUND,
                    name,
                    port,
                    fqdn=svc.fqdn,
                    start=svc.site,
                    front_end=fe.name,
                    destination=dst,
                    source=shares[0][0],
                    kind="microsoft-365",
                    shares=shares,
                )
        home = cat.home_front_end(svc.initiator_geography or d.tenant.geography)
        if svc.used_by_other_microsoft_services and home is not None:
            other = int(cat.front_end_address(OTHER_MICROSOFT, home))
            for port in svc.ports:
                yield Flow(
                    f"in/{name}/microsoft/{port}",
                    Direction.INBOUND,
                    name,
                    port,
                    fqdn=svc.fqdn,
                    start=svc.site,
                    front_end=home.name,
                    destination=dst,
                    source=other,
                    kind="microsoft",
                    shares=((other, 1.0),),
                )
        if svc.used_by_internet_users:
            for port in svc.ports:
                yield Flow(
                    f"in/{name}/internet/{port}",
                    Direction.INBOUND,
                    name,
                    port,
                    fqdn=svc.fqdn,
                    start=svc.site,
                    destination=dst,
                    source=user_host,
                    kind="internet",
                    shares=((user_host, 1.0),),
                )


def initiator_regions(design: Design, catalogs: Catalogs, svc: Service) -> list[FrontEnd]:
    """The front ends the initiating service connects from, the tenant's region first."""
    cat, d = catalogs, design
    if svc.initiator_regions is not None:
        names = list(svc.initiator_regions)
    else:
        home = cat.home_front_end(svc.initiator_geography or d.tenant.geography)
        names = ([home.name] if home is not None else []) + [
            g.home_front_end for g in cat.geographies
        ]
    out: dict[str, FrontEnd] = {}
    for n in names:
        fe = cat.front_end(n)
        if fe is not None:
            out.setdefault(fe.name, fe)
    return list(out.values())


def initiator_sources(
    catalogs: Catalogs, svc: Service, fe: FrontEnd, port: int
) -> tuple[tuple[int, float], ...]:
    """The initiator's addresses at a front end with their shares: its service area's
    ExpressRoute-able set; for SMTP also senders outside every advertised prefix."""
    es = initiator_set(catalogs, svc.initiator, port)
    if es is None:
        return ()
    main = int(catalogs.front_end_address(es, fe))
    if port != SMTP or es.service_area != "Exchange":
        return ((main, 1.0),)
    outside = int(catalogs.front_end_address(OTHER_MICROSOFT, fe))
    return ((main, 1.0 - SMTP_OUTSIDE_SHARE), (outside, SMTP_OUTSIDE_SHARE))


def initiator_set(
    catalogs: Catalogs, initiator: str, port: int | None = None
) -> EndpointSet | None:
    """The endpoint set whose addresses an initiating Microsoft service connects from (the
    one serving that port, when one does)."""
    cat = catalogs
    svc = cat.service(initiator)
    area = svc.service_area if svc is not None and svc.service_area else initiator
    sets = [es for es in cat.sets_for_service_area(area) if es.ips]
    er = [es for es in sets if es.express_route] or sets
    on_port = [es for es in er if port is not None and port in es.tcp_ports]
    chosen = on_port or er
    return chosen[0] if chosen else None
