"""ERP5xx: inbound services (hybrid) and their DNS records, DNAT and entry paths."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity
from erplan.facts import covered, internet_advertisements
from erplan.facts_edges import entry_breakouts, entry_circuits, entry_index, inbound_pool
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Design, Service


@rule(
    code="ERP501",
    name="dns-record-mismatch",
    severity=Severity.ERROR,
    summary="A service's public DNS record does not point at its public (DNAT) address.",
    source="Guide 000 §6.2 (A records map each FQDN to the public address the DNAT rule "
    "translates) and its Figure 13 slip (20.2.2.29 reserved, 20.2.2.59 translated); guide 001 "
    "inbound consideration 2",
    fix="Make the public A record, the DNAT public address and the advertised /32 the same "
    "address.",
)
def dns_record_mismatch(ctx: Context) -> Iterator[Hit]:
    """Microsoft resolves on-premises names with public DNS and connects to the address it
    gets. If the record names another address than the one the destination-NAT rule (or the
    server itself) answers on, every inbound connection goes nowhere — exactly the slip in
    guide 000's Figure 13 example, which reserves 20.2.2.29 but translates 20.2.2.59.
    """
    for name, s in ctx.design.services.items():
        if s.dns_record != s.public_address:
            yield Hit(
                f"the public DNS record of {s.fqdn} is {s.dns_record}, but service {name} is "
                f"published on {s.public_address}",
                ("services", name, "dns_record"),
                (("services", name),),
            )


def microsoft_enters_by_internet(d: Design, s: Service) -> bool:
    """Whether Microsoft reaches the service's address over the internet: the internet has a
    covering prefix strictly longer than any a circuit advertises (ExpressRoute wins ties)."""
    address = IPv4Network(s.public_address)
    internet = [n.prefixlen for _, _, n in internet_advertisements(d) if address.subnet_of(n)]
    er = [p.prefixlen for c in d.circuits.values() for p in c.advertises if address.subnet_of(p)]
    return bool(internet) and (not er or max(internet) > max(er))


def mismatched_host_routes(ctx: Context) -> Iterator[tuple[str, int, IPv4Network, str]]:
    """Host routes (/32) a circuit advertises for no service while a service entering by that
    circuit has its own address left unadvertised: (circuit, index, prefix, service)."""
    from erplan.analyses.rules.advertisement import purposeless_advertisements

    d = ctx.design
    for circuit, i, prefix in purposeless_advertisements(ctx):
        if prefix.prefixlen != 32:
            continue
        for sname, s in d.services.items():
            if circuit in entry_circuits(d, s) and not covered(
                s.public_address, d.circuits[circuit].advertises
            ):
                yield circuit, i, prefix, sname
                break


@rule(
    code="ERP502",
    name="host-route-mismatch",
    severity=Severity.ERROR,
    summary="A circuit advertises a /32 that is not the public address of the service it serves.",
    source="Guide 000 §6.3–§6.4 (advertise 20.2.2.59/32 for the server, then 20.2.2.63/32 in "
    "the same example); guide 001 inbound consideration 3",
    fix="Advertise the /32 of the address the service is published on (its DNAT public "
    "address), the one public DNS returns.",
)
def host_route_mismatch(ctx: Context) -> Iterator[Hit]:
    """The public DNS record, the DNAT public address and the /32 advertised to Microsoft must
    be one address. Guide 000 advertises 20.2.2.59/32 in §6.3 and 20.2.2.63/32 in §6.4 for the
    same Exchange server: the second makes Microsoft route to an address nothing answers on,
    and leaves the real one unadvertised.
    """
    d = ctx.design
    for circuit, i, prefix, sname in mismatched_host_routes(ctx):
        s = d.services[sname]
        yield Hit(
            f"circuit {circuit} advertises {prefix}, which no service is published on, while "
            f"service {sname} entering by {circuit} is published on {s.public_address}",
            ("circuits", circuit, "advertises", i),
            (("circuits", circuit), ("services", sname)),
        )


@rule(
    code="ERP503",
    name="inbound-expressroute-without-snat",
    severity=Severity.WARNING,
    summary="A service entered by ExpressRoute has no inbound source NAT on that circuit.",
    source="Guide 001 'Problem 2' and inbound consideration 7 (source NAT for all inbound "
    "flows entering through ExpressRoute); guide 000 §7.4.2 [R-ASYM]",
    fix="Source-NAT inbound connections at the circuit's edge into a pool of that circuit "
    "(`inbound_snat_pool`, or the service's `inbound_snat`).",
)
def inbound_expressroute_without_snat(ctx: Context) -> Iterator[Hit]:
    """Without inbound source NAT, the server answers the Microsoft address itself, with its
    own routing table: the reply follows whichever circuit (or the internet) the server's site
    prefers, not necessarily the circuit the request came in by, and a stateful device on the
    way drops it. Source NAT into a pool of the entry circuit brings every reply back there.
    """
    d = ctx.design
    for name, s in d.services.items():
        site = d.sites.get(s.site)
        for circuit in entry_circuits(d, s):
            if inbound_pool(d, s, circuit) is not None:
                continue
            if site is not None and not site.er_routes:
                why = f"site {s.site} has no ExpressRoute routes, so replies leave by the internet"
            elif len(d.circuits) > 1:
                others = ", ".join(c for c in d.circuits if c != circuit)
                why = f"replies may leave by {others} instead"
            else:
                continue  # one circuit, routes propagated: the reply can only go back by it
            i = entry_index(s, circuit, ENTRY_EXPRESSROUTE)
            yield Hit(
                f"service {name} is entered by circuit {circuit} without inbound source NAT: {why}",
                ("services", name, "entry", i) if i is not None else ("services", name),
                (("services", name), ("circuits", circuit)),
            )


@rule(
    code="ERP504",
    name="inbound-internet-without-snat",
    severity=Severity.ERROR,
    summary="A service entered from the internet, in a segment that sees ExpressRoute routes, "
    "has no inbound source NAT.",
    source="Guide 001 'Problem 1: Cloud to on-premises connection over the Internet' and "
    "Solutions 1a/1b; guide 001 inbound design pattern 1–2 [R-NAT][R-ASYM] (FACTS.md §1.7)",
    fix="Source-NAT inbound internet connections at the perimeter (`inbound_snat` for the "
    "breakout or 'internet'), or stop propagating ExpressRoute routes to the server's site "
    "(`er_routes: false`).",
)
def inbound_internet_without_snat(ctx: Context) -> Iterator[Hit]:
    """A request from Microsoft 365 that enters from the internet keeps its Microsoft source
    address. When the server's segment has routes learned over ExpressRoute, the reply prefers
    them over the default route: it leaves by ExpressRoute, bypasses the perimeter that holds
    the connection (and the destination-NAT mapping) and the connection breaks.
    Raised only when Microsoft does enter from the internet: when a circuit advertises the
    address at least as specifically as the internet gets it (guide 000 §6.4), Microsoft
    prefers ExpressRoute and the internet entry serves users outside, whose replies do not
    follow Microsoft routes.
    """
    d = ctx.design
    if not d.circuits:
        return
    for name, s in d.services.items():
        site = d.sites.get(s.site)
        if site is None or not site.er_routes or not microsoft_enters_by_internet(d, s):
            continue
        for breakout in entry_breakouts(d, s):
            if inbound_pool(d, s, breakout) is not None:
                continue
            i = entry_index(s, breakout, ENTRY_INTERNET)
            yield Hit(
                f"service {name} is entered from the internet by breakout {breakout} without "
                f"inbound source NAT, and site {s.site} sees ExpressRoute routes: replies "
                "leave by ExpressRoute (asymmetric, dropped)",
                ("services", name, "entry", i) if i is not None else ("services", name),
                (("services", name), ("sites", s.site)),
            )
