"""ERP3xx: how the advertisements relate to each other (internet vs ExpressRoute, circuits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from ipaddress import IPv4Network

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity
from erplan.facts import (
    DEFAULT_ROUTE,
    advertisements,
    effective_prepend,
    internet_advertisements,
    peering_region,
    pools,
    private_asn,
)
from erplan.facts_edges import entry_circuits, inbound_pool


@rule(
    code="ERP301",
    name="same-prefix-internet-and-expressroute",
    severity=Severity.ERROR,
    summary="The same prefix is advertised to Microsoft and to the internet.",
    source="Guide 000 §6.4; guide 001 'Ensuring route symmetry' best practice 1 and outbound "
    "requirement 3; Microsoft: ExpressRoute routing requirements [R-ROUTE][M-RT] (FACTS.md §1.4)",
    fix="Advertise to Microsoft a range the internet does not get at all, or one strictly more "
    "specific than what the internet gets (e.g. the /32s of a /29 announced to the internet).",
)
def same_prefix_internet_and_expressroute(ctx: Context) -> Iterator[Hit]:
    """When Microsoft hears the same prefix over ExpressRoute and over the internet, the choice
    between them is no longer the customer's: other Microsoft services (Windows Update...) and
    other circuits may answer over either path, and a stateful device on the other one drops
    the reply. The endpoints "must not be advertised to the internet with the same or more
    preferred routing metric".
    """
    internet = list(internet_advertisements(ctx.design))
    for name in ctx.design.circuits:
        for path, prefix in advertisements(ctx.design, name):
            for breakout, _, net in internet:
                if net == prefix:
                    yield Hit(
                        f"circuit {name} advertises {prefix} to Microsoft and breakout "
                        f"{breakout} announces the same prefix to the internet",
                        path,
                        (("circuits", name), ("breakouts", breakout)),
                    )


@rule(
    code="ERP302",
    name="internet-more-specific",
    severity=Severity.ERROR,
    summary="The internet gets a more specific prefix than Microsoft for the same addresses.",
    source="Guide 000 §6.4 (announce to Microsoft prefixes more specific than those announced "
    "to the internet); guide 001 'Ensuring route symmetry' best practice 1 [R-ROUTE][M-RT]",
    fix="Make what goes to Microsoft strictly more specific than what goes to the internet "
    "(announce the covering block to the internet, its /32s or sub-blocks to Microsoft).",
)
def internet_more_specific(ctx: Context) -> Iterator[Hit]:
    """Microsoft follows the longest matching prefix. Where a breakout announces a prefix
    inside one the circuit advertises, Microsoft prefers the internet for those addresses:
    replies to flows that left by ExpressRoute come back over the internet (asymmetric, and
    dropped by any stateful device), and inbound flows meant for ExpressRoute enter from the
    internet.
    """
    internet = list(internet_advertisements(ctx.design))
    for name in ctx.design.circuits:
        for path, prefix in advertisements(ctx.design, name):
            for breakout, _, net in internet:
                if net != prefix and net.subnet_of(prefix) and prefix != DEFAULT_ROUTE:
                    yield Hit(
                        f"breakout {breakout} announces {net} to the internet, more specific "
                        f"than the {prefix} circuit {name} advertises to Microsoft: Microsoft "
                        "prefers the internet for those addresses",
                        path,
                        (("circuits", name), ("breakouts", breakout)),
                    )


@rule(
    code="ERP303",
    name="snat-pool-outside-advertisements",
    severity=Severity.ERROR,
    summary="Part of a circuit's SNAT pool lies outside the prefixes it advertises.",
    source="Microsoft: ExpressRoute routing requirements — the advertised prefixes become ACLs "
    "that drop other sources [R-ROUTE][R-ISS PR #10145]; guide 000 §6.1 (FACTS.md §1.4)",
    fix="Advertise a prefix that contains the whole SNAT pool, or shrink the pool to what is "
    "advertised.",
)
def snat_pool_outside_advertisements(ctx: Context) -> Iterator[Hit]:
    """Microsoft turns the advertised public prefixes of a Microsoft peering into inbound
    filters: a packet whose source lies outside them is dropped on entry. Every address of the
    SNAT pool is a possible source, so the pool must lie entirely inside the circuit's
    advertised prefixes. (A pool not advertised at all is ERP204.)
    """
    for name in ctx.design.circuits:
        accepted = [p for _, p in advertisements(ctx.design, name)]
        for path, pool, _ in pools(ctx.design, name):
            if not any(pool.overlaps(p) for p in accepted):
                continue
            outside = _uncovered(pool, [p for p in accepted if p.overlaps(pool)])
            if outside:
                yield Hit(
                    f"part of the SNAT pool {pool} of circuit {name} "
                    f"({', '.join(map(str, outside))}) lies outside its advertised prefixes: "
                    "Microsoft drops flows sourced there",
                    path,
                    (("circuits", name),),
                )


def _uncovered(net: IPv4Network, cover: list[IPv4Network]) -> list[IPv4Network]:
    """The parts of ``net`` that no prefix of ``cover`` contains."""
    todo = [net]
    for p in cover:
        nxt: list[IPv4Network] = []
        for n in todo:
            if n.subnet_of(p):
                continue
            if p.subnet_of(n):
                nxt.extend(n.address_exclude(p))
            else:
                nxt.append(n)
        todo = nxt
    return sorted(todo)


@rule(
    code="ERP304",
    name="private-asn-prepend",
    severity=Severity.WARNING,
    summary="AS-path prepending with a private ASN: Microsoft strips it, so it has no effect.",
    source="Microsoft: ExpressRoute routing requirements and optimize routing — private ASNs "
    "are removed from the AS path on the Microsoft peering [R-ROUTE][R-OPT] (FACTS.md §1.3); "
    "guide 000 §7.4.1",
    fix="Prepend with a public ASN (set a public `peer_asn` or `prepend_asn`), or steer inbound "
    "traffic by advertising the prefix only on the right circuit.",
)
def private_asn_prepend(ctx: Context) -> Iterator[Hit]:
    """AS-path prepending on the far circuit is the only BGP lever that steers Microsoft's
    choice between circuits (guide 000 §7.4.1). Microsoft strips private ASNs from the AS path
    of the prefixes it learns on the Microsoft peering, so prepending a private ASN leaves both
    paths equal: Microsoft keeps load balancing across the circuits.
    """
    for name, c in ctx.design.circuits.items():
        asn = c.prepend_asn if c.prepend_asn is not None else c.peer_asn
        if not private_asn(asn):
            continue
        for prefix, count in c.prepend.items():
            if count > 0:
                yield Hit(
                    f"circuit {name} prepends {prefix} {count} time(s) with private ASN {asn}: "
                    "Microsoft strips private ASNs, so the prepending has no effect",
                    ("circuits", name, "prepend", str(prefix)),
                    (("circuits", name),),
                    key=True,
                )


@rule(
    code="ERP305",
    name="prefix-on-several-circuits",
    severity=Severity.WARNING,
    summary="The same prefix is advertised on several circuits with nothing keeping its flows "
    "symmetric or optimal.",
    source="Guide 000 §7.2, §7.4.1 (prepend on the far circuit) and §7.4.2 Figure 19/20 "
    "(per-circuit inbound SNAT); guide 001 'Ensuring route symmetry' best practices 2–3 and "
    "the Exchange-hybrid connection-property table",
    fix="Source-NAT inbound flows per circuit (distinct pools) and prepend a public ASN on the "
    "far circuit(s); or advertise separate prefixes on each circuit.",
)
def prefix_on_several_circuits(ctx: Context) -> Iterator[Hit]:
    """When two circuits advertise the same prefix, Microsoft load-balances (ECMP) the traffic
    for it across both. That is fine — and recommended for resilience (guide 001 inbound
    consideration 6) — only when (a) every inbound service behind the prefix is source-NATted
    per circuit, so replies leave by the circuit the request came in by, and no circuit's
    outbound SNAT pool lies behind it without the other circuits prepending; and (b) the
    circuits left unprepended are all in one geopolitical region, so Microsoft never enters by
    a far circuit. With both (guide 001's Exchange-hybrid table, guide 000 Figure 20) nothing
    is raised.
    """
    d = ctx.design
    by_prefix: dict[IPv4Network, list[tuple[str, int]]] = defaultdict(list)
    for name, c in d.circuits.items():
        for i, prefix in enumerate(c.advertises):
            by_prefix[prefix].append((name, i))
    for prefix, places in by_prefix.items():
        circuits = [n for n, _ in places]
        if len(set(circuits)) < 2:
            continue
        problems: list[str] = []
        fixes: list[str] = []  # one per kind of problem met: the general fix names all three
        for sname, s in d.services.items():
            if not prefix.overlaps(IPv4Network(s.public_address)):
                continue
            entering = [c for c in entry_circuits(d, s) if c in circuits]
            missing = [c for c in entering if inbound_pool(d, s, c) is None]
            if len(entering) >= 2 and missing:
                problems.append(
                    f"service {sname} has no inbound SNAT on {', '.join(missing)}, so replies "
                    "may leave by another circuit"
                )
                fixes.append(
                    f"source-NAT service {sname}'s inbound connections per circuit (`inbound_snat` "
                    f"on {', '.join(missing)})"
                )
        prepends = {c: effective_prepend(d, c, prefix) for c in circuits}
        shortest = min(prepends.values())
        pooled: list[str] = []  # circuits whose outbound SNAT pool lies behind the prefix
        for owner in circuits:
            pool = d.circuits[owner].snat_pool
            if pool is None or not pool.overlaps(prefix):
                continue
            if [o for o in circuits if o != owner and prepends[o] <= prepends[owner]]:
                problems.append(
                    f"replies to circuit {owner}'s SNAT pool {pool} may come back by another "
                    "circuit"
                )
                pooled.append(owner)
        if pooled:
            fixes.append(
                f"give each circuit its own SNAT pool, advertised only on it (`snat_pool` of "
                f"{', '.join(pooled)}), or prepend a public ASN on the other circuits' "
                f"advertisement of {prefix}"
            )
        unprepended = [n for n in circuits if prepends[n] == shortest]
        regions = {
            r
            for n in unprepended
            if (r := peering_region(ctx.catalogs, d.circuits[n].peering_location)) is not None
        }
        far_apart = len(regions) > 1 or (
            len(unprepended) > 1 and not regions and _distinct_locations(ctx, unprepended)
        )
        if far_apart:
            shown = f" (regions {', '.join(sorted(regions))})" if regions else ""
            problems.append(
                "no prepending on the far circuit: Microsoft enters by any of "
                f"{', '.join(unprepended)}{shown}"
            )
            fixes.append(f"prepend a public ASN on the far circuit's advertisement of {prefix}")
        if problems:
            last_name, last_i = places[-1]
            yield Hit(
                f"{prefix} is advertised on circuits {', '.join(dict.fromkeys(circuits))}: "
                + "; ".join(problems),
                ("circuits", last_name, "advertises", last_i),
                tuple(("circuits", n) for n in dict.fromkeys(circuits)),
                fix=_sentence("; ".join(fixes)),
            )


def _distinct_locations(ctx: Context, circuits: list[str]) -> bool:
    """Without region data, circuits at different peering locations count as far apart."""
    return len({ctx.design.circuits[c].peering_location for c in circuits}) > 1


def _sentence(text: str) -> str:
    """``text`` as a sentence: its first letter capital, a full stop at the end."""
    return text[:1].upper() + text[1:] + "."
