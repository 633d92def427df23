"""ERP4xx: source-NAT pools (ExpressRoute vs internet, per circuit, per entry path, size)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from ipaddress import IPv4Network

from erplan.analyses.rules.registry import Context, Hit, Path, rule
from erplan.analyses.rules.wan import wan_adjacency
from erplan.catalogs import Catalogs
from erplan.diagnostics import Severity
from erplan.facts import special_range
from erplan.latency import Geo
from erplan.model import Design


@rule(
    code="ERP401",
    name="snat-pool-shared-with-internet",
    severity=Severity.ERROR,
    summary="A circuit's SNAT pool overlaps an internet NAT address.",
    source="Guide 000 §5 (the NAT addresses used for internet traffic must differ from those "
    "used on the Microsoft peering); guide 001 'Ensuring route symmetry' best practice 2 "
    "[M-RT][R-ASYM] (FACTS.md §1.7)",
    fix="Give ExpressRoute its own SNAT pool, disjoint from every breakout's internet NAT.",
)
def snat_pool_shared_with_internet(ctx: Context) -> Iterator[Hit]:
    """Once a NAT address is advertised to Microsoft, Microsoft returns every flow sourced from
    it over ExpressRoute — including flows to Microsoft services that left by the internet
    (Windows Update and the like): their replies come back by the wrong path and are dropped.
    Only Microsoft 365 traffic must carry the ExpressRoute pool.
    """
    for name, c in ctx.design.circuits.items():
        pool = c.snat_pool
        if pool is None:
            continue
        for bname, b in ctx.design.breakouts.items():
            for nat in b.nat:
                if pool.overlaps(nat):
                    yield Hit(
                        f"the SNAT pool {pool} of circuit {name} overlaps the internet NAT "
                        f"{nat} of breakout {bname}",
                        ("circuits", name, "snat_pool"),
                        (("circuits", name), ("breakouts", bname)),
                    )


@rule(
    code="ERP402",
    name="snat-pools-overlap",
    severity=Severity.ERROR,
    summary="The SNAT pools of two circuits overlap.",
    source="Guide 000 §7.3.2 Figure 17 (different, non-overlapping NAT pools per circuit); "
    "guide 001 'Ensuring route symmetry' best practice 2 and outbound design [M-RT]",
    fix="Give each circuit its own, non-overlapping SNAT pool (e.g. 20.2.2.0/29 and "
    "20.2.2.8/29) and advertise each on its own circuit.",
)
def snat_pools_overlap(ctx: Context) -> Iterator[Hit]:
    """Microsoft can only return a reply by the circuit the request left from if each circuit
    sources its flows from its own pool: with a shared pool Microsoft load-balances replies
    across the circuits, and a stateful device at the other circuit drops them.
    """
    seen: list[tuple[str, IPv4Network]] = []
    for name, c in ctx.design.circuits.items():
        pool = c.snat_pool
        if pool is None:
            continue
        for other, other_pool in seen:
            if pool.overlaps(other_pool):
                yield Hit(
                    f"the SNAT pool {pool} of circuit {name} overlaps the SNAT pool "
                    f"{other_pool} of circuit {other}",
                    ("circuits", name, "snat_pool"),
                    (("circuits", name), ("circuits", other)),
                )
        seen.append((name, pool))


def _inbound_pools(d: Design) -> Iterator[tuple[str, IPv4Network, Path, tuple[str, str]]]:
    """Every inbound SNAT pool with the entry path it belongs to."""
    for name, c in d.circuits.items():
        if c.inbound_snat_pool is not None:
            yield (
                name,
                c.inbound_snat_pool,
                ("circuits", name, "inbound_snat_pool"),
                (
                    "circuits",
                    name,
                ),
            )
    for sname, s in d.services.items():
        for entry, pool in s.inbound_snat.items():
            yield entry, pool, ("services", sname, "inbound_snat", entry), ("services", sname)


@rule(
    code="ERP403",
    name="inbound-snat-pools-not-distinct",
    severity=Severity.ERROR,
    summary="Inbound SNAT pools of different entry paths overlap.",
    source="Guide 000 §7.4.2 Figure 19 (inbound connections entering by different circuits "
    "source-NATted behind different, non-overlapping pools); guide 001 Exchange-hybrid table "
    "(192.168.1.0 Chicago, 192.168.2.0 Dallas, 192.168.5.5 internet)",
    fix="Use one inbound SNAT pool per entry path (each circuit, the internet), not "
    "overlapping each other.",
)
def inbound_snat_pools_not_distinct(ctx: Context) -> Iterator[Hit]:
    """Inbound source NAT makes the server reply to the entry path's own pool, and the
    customer's routers send each pool back by its entry path. Two entry paths sharing a pool
    cannot be told apart: replies to one may leave by the other.
    """
    seen: list[tuple[str, IPv4Network]] = []
    for entry, pool, path, owner in _inbound_pools(ctx.design):
        for other_entry, other_pool in seen:
            if other_entry != entry and pool.overlaps(other_pool):
                yield Hit(
                    f"the inbound SNAT pool {pool} of entry path {entry} overlaps {other_pool}, "
                    f"the pool of entry path {other_entry}",
                    path,
                    (owner,),
                )
        seen.append((entry, pool))


def _distances(graph: dict[str, list[tuple[str, float]]], source: str) -> dict[str, float]:
    """Shortest WAN distance from ``source`` to every site it reaches (Dijkstra, heapq)."""
    dist: dict[str, float] = {source: 0.0}
    queue: list[tuple[float, str]] = [(0.0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > dist[node]:
            continue  # a stale entry: a shorter way was found after it was queued
        for other, weight in graph[node]:
            nd = d + weight
            if nd < dist.get(other, math.inf):
                dist[other] = nd
                heapq.heappush(queue, (nd, other))
    return dist


def _site_circuits(d: Design, catalogs: Catalogs) -> dict[str, list[str]]:
    """For each site with users, the circuits nearest to it over the WAN (ties: all).

    Link weights are those of the routing stage: the IGP cost, else the given or estimated
    latency, so the users counted on a circuit are the ones hot-potato routing sends there.
    """
    geo = Geo(d, catalogs)
    graph = wan_adjacency(
        d,
        lambda w: w.cost if w.cost is not None else geo.wan_link(*w.between, w.latency_ms).ms,
    )
    at: dict[str, list[str]] = {}
    for name, c in d.circuits.items():
        if c.up:
            at.setdefault(c.site, []).append(name)
    # One Dijkstra per circuit site (a few dozen), not per user site (thousands): the graph
    # is undirected, so the distance from a circuit site is the distance to it.
    from_circuit_site = {cs: _distances(graph, cs) for cs in at if cs in graph}
    out: dict[str, list[str]] = {}
    for site, s in d.sites.items():
        if s.users == 0 or not s.er_routes or not at:
            continue
        reach = [
            (lengths[site], cs) for cs, lengths in from_circuit_site.items() if site in lengths
        ]
        if not reach:
            continue
        best = min(dist for dist, _ in reach)
        out[site] = [c for dist, cs in reach if dist == best for c in at[cs]]
    return out


@rule(
    code="ERP404",
    name="nat-pool-too-small",
    severity=Severity.WARNING,
    summary="A NAT pool has too few addresses for the users it serves.",
    source="Guide 000 §6.1.1 (size the pool for the concurrent users); Microsoft: NAT support "
    "with Office 365 — about 6,000 devices per public address [M-NAT] (FACTS.md §9)",
    fix="Enlarge the pool to at least users / `analysis.users_per_address` addresses, or "
    "adjust `analysis.users_per_address` to the measured peak ports per user.",
)
def nat_pool_too_small(ctx: Context) -> Iterator[Hit]:
    """A NAT device offers about 64,000 ports per public address and Outlook alone may hold 8
    connections per user; Microsoft's worked example gives (64,000 − 4,000) / (6 + 4) = 6,000
    devices per address. A circuit's SNAT pool serves the users of the sites nearest to it over
    the WAN; a breakout's internet NAT serves the sites that break out there. Beyond
    `analysis.users_per_address` users per address, ports run out and new connections fail.
    """
    d = ctx.design
    per = d.analysis.users_per_address
    circuit_users: dict[str, int] = {}
    for site, circuits in _site_circuits(d, ctx.catalogs).items():
        for c in circuits:
            circuit_users[c] = circuit_users.get(c, 0) + d.sites[site].users
    for name, circuit in d.circuits.items():
        users = circuit_users.get(name, 0)
        pool = circuit.snat_pool
        if pool is None or users == 0:
            continue
        size = pool.num_addresses
        if users > size * per:
            yield Hit(
                f"the SNAT pool {pool} of circuit {name} has {size} address(es) for "
                f"{users} users; at {per} users per address it needs {-(-users // per)}",
                ("circuits", name, "snat_pool"),
                (("circuits", name),),
                data={"users": users, "addresses": size, "users_per_address": per},
            )
    breakout_users: dict[str, int] = {}
    for sn, s in d.sites.items():  # one pass: site_breakout() itself scans the breakouts
        bname = d.site_breakout(sn)
        if bname is not None:
            breakout_users[bname] = breakout_users.get(bname, 0) + s.users
    for bname, b in d.breakouts.items():
        users = breakout_users.get(bname, 0)
        size = sum(n.num_addresses for n in b.nat)
        if not b.nat or users == 0 or users <= size * per:
            continue
        yield Hit(
            f"the internet NAT of breakout {bname} has {size} address(es) for {users} users; at "
            f"{per} users per address it needs {-(-users // per)}",
            ("breakouts", bname, "nat"),
            (("breakouts", bname),),
            data={"users": users, "addresses": size, "users_per_address": per},
        )


@rule(
    code="ERP405",
    name="breakout-address-not-public",
    severity=Severity.ERROR,
    summary="A breakout's internet NAT address or internet advertisement is not public "
    "(private, shared address space, documentation, ...).",
    source="Guide 000 §5 and §6.1 (traffic to Microsoft 365 leaves with a public source "
    "address: internet breakouts translate into public NAT addresses they advertise); "
    "RFC 1918, RFC 6598, RFC 5737 (FACTS.md §1.4)",
    fix="Translate internet traffic into public addresses registered to you (or your "
    "provider) and advertise the public prefix that holds them.",
)
def breakout_address_not_public(ctx: Context) -> Iterator[Hit]:
    """The internet routes no private (RFC 1918), shared (100.64.0.0/10, carrier-grade NAT),
    documentation or other special-purpose address: a flow translated into one leaves, and no
    reply ever comes back; an advertisement of one is filtered by every neighbour. The flows of
    the sites using the breakout then fail although a NAT is configured, which is easy to
    misread as a missing NAT.
    """
    for bname, b in ctx.design.breakouts.items():
        for i, nat in enumerate(b.nat):
            why = special_range(nat)
            if why is not None:
                yield Hit(
                    f"the internet NAT {nat} of breakout {bname} is not a public address "
                    f"({why}): replies to flows translated into it cannot come back",
                    ("breakouts", bname, "nat", i),
                    (("breakouts", bname),),
                )
        for i, prefix in enumerate(b.advertises):
            why = special_range(prefix)
            if why is not None:
                yield Hit(
                    f"breakout {bname} advertises {prefix} to the internet, which is not "
                    f"public ({why}): no internet router accepts it",
                    ("breakouts", bname, "advertises", i),
                    (("breakouts", bname),),
                )
