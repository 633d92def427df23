"""The internet's geoDNS as the emulation answers it: per breakout, the front end nearest to its
site and the address of every endpoint set there, recognised by the addresses a query arrives
from. Built from the design and the catalogs alone, like the flows."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import Catalogs, EndpointSet, FrontEnd
from erplan.emulate.flows import set_name, tenant_sets
from erplan.model import Design, LatLon


def place_point(design: Design, catalogs: Catalogs, site: str) -> tuple[float, float] | None:
    where = design.sites[site].location
    if isinstance(where, LatLon):
        return where.lat, where.lon
    place = catalogs.place(where)
    return None if place is None else (place.lat, place.lon)


@dataclass(frozen=True)
class GeoDnsEntry:
    """What the internet's geoDNS answers to a query arriving from a breakout's NAT range."""

    breakout: str
    sources: tuple[IPv4Network, ...]
    front_end: str
    answers: dict[str, IPv4Address]  # name -> address


def _at(catalogs: Catalogs, es: EndpointSet, nearest: FrontEnd) -> FrontEnd:
    """Where a set is answered from: a Dynamics 365 environment at its region, whoever asks."""
    if es.region is None:
        return nearest
    return catalogs.region_front_end(es.region) or nearest


def geodns_table(
    design: Design, catalogs: Catalogs, third_party: IPv4Address
) -> tuple[list[GeoDnsEntry], list[str]]:
    """Per breakout: the front end nearest to it and the answer for every set, first match
    wins.

    A query is recognised by the address it arrives from: a breakout's NAT range (design
    order; notes name shared NAT ranges, where that is arbitrary), else, for a breakout that
    does not translate, the prefixes it advertises to the internet (longest first), which its
    untranslated sources come from and the answer returns to."""
    from erplan.emulate.initiators import server_sets

    entries: list[GeoDnsEntry] = []
    notes: list[str] = []
    asked = {es.id: es for es in tenant_sets(design, catalogs)}
    for server in design.servers.values():
        asked.update((es.id, es) for es in server_sets(catalogs, server))
    sets = [asked[k] for k in sorted(asked)]
    owners: dict[IPv4Network, str] = {}
    untranslated: list[tuple[IPv4Network, GeoDnsEntry]] = []
    for name, b in design.breakouts.items():
        for net in b.nat:
            for other_net, other in owners.items():
                if other != name and net.overlaps(other_net):
                    notes.append(
                        f"breakouts {other} and {name} share NAT addresses ({net}): geoDNS "
                        f"answers queries from them as from {other}"
                    )
            owners.setdefault(net, name)
        point = place_point(design, catalogs, b.site)
        if point is None:
            continue
        fe = catalogs.nearest_front_end(*point)
        answers = {
            set_name(es.id): (
                third_party
                if es.third_party
                else catalogs.front_end_address(es, _at(catalogs, es, fe))
            )
            for es in sets
        }
        if b.nat:
            entries.append(GeoDnsEntry(name, tuple(b.nat), fe.name, answers))
        else:
            untranslated += [(p, GeoDnsEntry(name, (p,), fe.name, answers)) for p in b.advertises]
    untranslated.sort(key=lambda pe: -pe[0].prefixlen)
    return entries + [e for _, e in untranslated], notes
