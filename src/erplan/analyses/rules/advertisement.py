"""ERP2xx: what each circuit advertises to Microsoft."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity
from erplan.facts import (
    DEFAULT_ROUTE,
    LINKS,
    MAX_PREFIXES_PER_SESSION,
    advertisements,
    covered,
    link_advertisements,
    pools,
    special_range,
)
from erplan.facts_edges import entry_breakouts, entry_circuits, entry_index
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Design, LinkName


@rule(
    code="ERP201",
    name="advertisement-not-public",
    severity=Severity.ERROR,
    summary="A prefix advertised to Microsoft is not public (RFC 1918, CGNAT, loopback, "
    "documentation, multicast, ...).",
    source="Guide 000 §5 (only public source and destination addresses on the Microsoft "
    "peering); Microsoft: ExpressRoute routing requirements [R-ROUTE] (FACTS.md §1.4)",
    fix="Advertise only public prefixes registered to you; translate private addresses with "
    "source NAT (outbound) or destination NAT (inbound) and advertise the public pools.",
)
def advertisement_not_public(ctx: Context) -> Iterator[Hit]:
    """Microsoft accepts only public prefixes registered to the customer (or its provider) in
    an RIR or IRR on the Microsoft peering; RFC 1918 prefixes must be filtered out. Every
    datagram exchanged over the peering has a public source and a public destination, so a
    private, shared (100.64.0.0/10), loopback, link-local, documentation, benchmarking,
    multicast or reserved prefix can never be a valid advertisement.
    """
    for name in ctx.design.circuits:
        for path, prefix in advertisements(ctx.design, name):
            if prefix == DEFAULT_ROUTE:
                continue  # ERP202 says it better
            why = special_range(prefix)
            if why is not None:
                yield Hit(
                    f"circuit {name} advertises {prefix} to Microsoft, which is not public ({why})",
                    path,
                    (("circuits", name),),
                )


@rule(
    code="ERP202",
    name="default-route-advertised",
    severity=Severity.ERROR,
    summary="A circuit advertises the default route to Microsoft.",
    source="Microsoft: ExpressRoute routing requirements — a default route is accepted only on "
    "private peering [R-ROUTE] (FACTS.md §1.4)",
    fix="Remove 0.0.0.0/0 from the circuit's advertisements; advertise the NAT pools and the "
    "published server addresses only.",
)
def default_route_advertised(ctx: Context) -> Iterator[Hit]:
    """Default routes must be filtered from the Microsoft peering: Microsoft drops them, and
    the intent (attract all Microsoft traffic) contradicts the rule that only NAT pools and
    published servers are advertised (guide 000 §6.3).
    """
    for name in ctx.design.circuits:
        for path, prefix in advertisements(ctx.design, name):
            if prefix == DEFAULT_ROUTE:
                yield Hit(
                    f"circuit {name} advertises the default route {prefix} to Microsoft",
                    path,
                    (("circuits", name),),
                )


@rule(
    code="ERP203",
    name="too-many-prefixes",
    severity=Severity.ERROR,
    summary="A circuit advertises more than 200 prefixes on its Microsoft-peering session.",
    source="Microsoft: ExpressRoute limits — 200 IPv4 prefixes per Microsoft-peering BGP "
    "session; exceeding it drops the session [R-ROUTE][R-LIM] (FACTS.md §1.4)",
    fix="Aggregate the advertisements (one prefix per NAT pool, /32s only for published "
    "servers) to stay within 200.",
)
def too_many_prefixes(ctx: Context) -> Iterator[Hit]:
    """Microsoft accepts at most 200 IPv4 prefixes per BGP session of the Microsoft peering,
    with Standard and Premium alike; a session that receives more is torn down, taking every
    flow of the circuit with it.
    """
    d = ctx.design
    for name, c in d.circuits.items():
        counts = {link: len(link_advertisements(d, name, link)) for link in LINKS}
        over = [link for link in LINKS if counts[link] > MAX_PREFIXES_PER_SESSION]
        if not over:
            continue
        own = [link for link in over if link in c.links and c.links[link].advertises]
        shared: tuple[str | int, ...] = ("circuits", name, "advertises", MAX_PREFIXES_PER_SESSION)
        cases: list[tuple[LinkName, tuple[str | int, ...], str]]
        if len(over) == 2 and not own:
            cases = [(over[0], shared, "both links")]
        else:
            cases = [
                (
                    link,
                    ("circuits", name, "links", link.value, "advertises")
                    if link in own
                    else shared,
                    f"its {link} link",
                )
                for link in over
            ]
        for link, path, on in cases:
            yield Hit(
                f"circuit {name} advertises {counts[link]} prefixes to Microsoft on {on}; a "
                f"Microsoft-peering session accepts at most {MAX_PREFIXES_PER_SESSION}: the "
                "session goes down",
                path,
                (("circuits", name),),
                data={"count": counts[link], "limit": MAX_PREFIXES_PER_SESSION},
            )


@rule(
    code="ERP204",
    name="snat-pool-not-advertised",
    severity=Severity.ERROR,
    summary="A circuit's outbound SNAT pool is not advertised on that circuit.",
    source="Guide 000 §6.1 and §6.3 (the NAT pool is the prefix Microsoft must learn), §7.3.2 "
    "Figure 17 (each pool advertised on its own circuit); guide 001 outbound requirement 2",
    fix="Advertise the SNAT pool (or a prefix containing it) on the circuit that uses it.",
)
def snat_pool_not_advertised(ctx: Context) -> Iterator[Hit]:
    """Outbound flows leave the circuit with a source address from its SNAT pool; Microsoft
    routes the replies to that address, so it must learn the pool over the same circuit. A pool
    advertised nowhere black-holes every reply; a pool advertised only on another circuit sends
    them back through the wrong one. (A pool advertised only in part is ERP303.)
    """
    d = ctx.design
    for name in d.circuits:
        for path, pool, link in pools(d, name):
            on = _sent_with(d, name, link)
            if any(pool.overlaps(p) for p in on):
                continue
            elsewhere = [
                other
                for other in d.circuits
                if other != name and any(pool.overlaps(p) for _, p in advertisements(d, other))
            ]
            where = (
                f"; only {', '.join(elsewhere)} advertise{'s' if len(elsewhere) == 1 else ''} it"
                if elsewhere
                else ""
            )
            what = f"circuit {name}" + (f" ({link} link)" if link is not None else "")
            yield Hit(
                f"{what} does not advertise its SNAT pool {pool} to Microsoft{where}: "
                "replies to its outbound flows have no way back through it",
                path,
                (("circuits", name),),
            )


def _sent_with(d: Design, circuit: str, link: LinkName | None) -> list[IPv4Network]:
    """What the sessions a pool's flows leave by advertise: the link's, or both links'."""
    links = LINKS if link is None else (link,)
    return [p for ln in links for p in link_advertisements(d, circuit, ln)]


@rule(
    code="ERP205",
    name="service-address-not-advertised",
    severity=Severity.ERROR,
    summary="An inbound service's public address is not advertised on an entry path it should "
    "be entered by.",
    source="Guide 000 §6.2 and §6.3 (the public address of each server reached over "
    "ExpressRoute is advertised in the Microsoft BGP session); guide 001 inbound consideration 3",
    fix="Advertise the service's public address (its /32, or a prefix containing it) on every "
    "circuit or breakout listed in its `entry`.",
)
def service_address_not_advertised(ctx: Context) -> Iterator[Hit]:
    """Microsoft reaches an on-premises service at the address public DNS gives for it, along
    the longest prefix it has learned. For the service to be entered by a circuit, the circuit
    must advertise a prefix containing that address; for it to be entered from the internet, a
    breakout must announce one. Otherwise the intended entry path does not exist.
    """
    d = ctx.design
    for name, s in d.services.items():
        address = s.public_address
        for circuit in entry_circuits(d, s):
            if not covered(address, d.circuits[circuit].advertises):
                i = entry_index(s, circuit, ENTRY_EXPRESSROUTE)
                yield Hit(
                    f"service {name} is meant to be entered by circuit {circuit}, but {circuit} "
                    f"does not advertise its public address {address}",
                    ("services", name, "entry", i) if i is not None else ("services", name),
                    (("services", name), ("circuits", circuit)),
                )
        breakouts = entry_breakouts(d, s)
        # 'internet': one breakout announcing the address is enough.
        if (
            ENTRY_INTERNET in s.entry
            and d.breakouts
            and not any(covered(address, d.breakouts[b].advertises) for b in breakouts)
        ):
            i = s.entry.index(ENTRY_INTERNET)
            yield Hit(
                f"service {name} is meant to be entered from the internet, but no breakout "
                f"announces its public address {address}",
                ("services", name, "entry", i),
                (("services", name),),
            )
        for i, entry in enumerate(s.entry):
            if entry in d.breakouts and not covered(address, d.breakouts[entry].advertises):
                yield Hit(
                    f"service {name} is meant to be entered by breakout {entry}, but {entry} "
                    f"does not announce its public address {address} to the internet",
                    ("services", name, "entry", i),
                    (("services", name), ("breakouts", entry)),
                )


def purposeless_advertisements(ctx: Context) -> Iterator[tuple[str, int, IPv4Network]]:
    """Prefixes a circuit advertises with nothing of the design behind them."""
    d = ctx.design
    behind: list[IPv4Network] = []
    for c in d.circuits.values():
        behind.extend(n for n in (c.snat_pool, c.primary_subnet, c.secondary_subnet) if n)
    behind.extend(IPv4Network(s.public_address) for s in d.services.values())
    for name, c in d.circuits.items():
        for i, prefix in enumerate(c.advertises):
            if prefix == DEFAULT_ROUTE or special_range(prefix) is not None:
                continue  # ERP201/ERP202 already reject it
            if not any(prefix.overlaps(b) for b in behind):
                yield name, i, prefix


@rule(
    code="ERP206",
    name="advertisement-without-purpose",
    severity=Severity.WARNING,
    summary="A prefix advertised to Microsoft has nothing behind it (no SNAT pool, no "
    "service, no peer link).",
    source="Guide 001 'Ensuring route symmetry' best practice 3 (any route advertised to "
    "Microsoft attracts traffic from any Microsoft server) [M-RT] (FACTS.md §1.4); guide 000 "
    "§6.3",
    fix="Advertise only the SNAT pools, the peer /30s and the addresses of published services; "
    "remove the prefix or declare what it serves.",
)
def advertisement_without_purpose(ctx: Context) -> Iterator[Hit]:
    """Any prefix advertised to Microsoft attracts traffic from every Microsoft server, not only
    from the services whose routes the circuit receives. A prefix that covers no SNAT pool, no
    published service and no peer link of the design pulls that traffic onto the circuit for
    nothing — and when it is a typo of the intended prefix (guide 000 advertises 20.2.2.63/32
    for a server published on 20.2.2.59), the real address is left unadvertised.
    """
    from erplan.analyses.rules.inbound import mismatched_host_routes

    explained = {(c, i) for c, i, _, _ in mismatched_host_routes(ctx)}
    for name, i, prefix in purposeless_advertisements(ctx):
        if (name, i) in explained:
            continue  # ERP502 names the service it was meant for
        yield Hit(
            f"circuit {name} advertises {prefix} to Microsoft, but no SNAT pool, service or "
            "peer link of the design lies behind it",
            ("circuits", name, "advertises", i),
            (("circuits", name),),
        )
