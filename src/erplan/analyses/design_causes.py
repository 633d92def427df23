"""Causes read from the design once the walk has shown where a packet went: a pool part of
which another device's translation covers more specifically (pools are routed inside to the
device that translates into them, DESIGN "State"), a prefix advertised only on a link whose
session is down, and sites that designate each other's breakouts."""

from __future__ import annotations

from erplan.analyses.causes import Culprit
from erplan.engine.ranges import addr
from erplan.facts import advertisements, session_up
from erplan.facts_edges import TranslationKind, inbound_pool, translations
from erplan.model import Design, LinkName

_WHAT = {
    TranslationKind.SNAT: "outbound pool",
    TranslationKind.INBOUND_SNAT: "inbound pool",
    TranslationKind.DNAT: "published address",
}


def _covers(prefix_start: int, size: int, address: int) -> bool:
    return prefix_start <= address < prefix_start + size


def pool_culprit(design: Design, service: str, kind: str, name: str) -> Culprit:
    """Where an entry's inbound SNAT pool is set, the field a fix of the pool changes: the
    service's own ``inbound_snat`` for that entry, else the circuit's ``inbound_snat_pool``."""
    if kind == "circuit" and name not in design.services[service].inbound_snat:
        return ("circuits", name, "inbound_snat_pool")
    return ("services", service, "inbound_snat")


def inbound_pool_pulled(
    design: Design, service: str, entry: str, dst: int, reason: str
) -> tuple[str, str, Culprit] | None:
    """The entry (``circuit:NAME/LINK`` or ``breakout:NAME``) source-NATs the service's
    connection into a pool, and the reply's destination ``dst`` (an address of that pool) is
    routed to another device because a translation of that device's covers it at least as
    specifically: (cause key, why, culprit) or None."""
    svc = design.services[service]
    kind, _, rest = entry.partition(":")
    name = rest.rpartition("/")[0] if kind == "circuit" else rest
    pool = inbound_pool(design, svc, name)
    if pool is None or not _covers(int(pool.network_address), pool.num_addresses, dst):
        return None
    own = {
        t.point.id
        for t in translations(design)
        if t.kind is TranslationKind.INBOUND_SNAT and t.prefix == pool and t.point.edge.name == name
    }
    pulling = [
        t
        for t in translations(design)
        if t.point.id not in own
        and t.prefix.prefixlen >= pool.prefixlen
        and _covers(int(t.prefix.network_address), t.prefix.num_addresses, dst)
    ]
    if not pulling:
        return None
    t = max(pulling, key=lambda x: x.prefix.prefixlen)
    other = t.point.id
    why = (
        f"the request enters by {entry} and is source-NATed into {pool}, but {addr(dst)} is "
        f"also in the {_WHAT[t.kind]} {t.prefix} of {other}, which the server's network routes "
        f"there (a pool belongs to the device that translates into it): the replies reach a "
        f"device that never saw the connection ({reason})"
    )
    return "shared-inbound-pool", why, pool_culprit(design, service, kind, name)


def advertised_on_a_link_down(
    design: Design, circuit: str, to: int, reason: str
) -> tuple[str, str, Culprit] | None:
    """A source Microsoft let in by the circuit (its filter is the configured prefixes of both
    links) but has no route back to: the prefix covering it is advertised only on a link whose
    session is down."""
    for culprit, prefix in advertisements(design, circuit):
        if len(culprit) < 6 or not _covers(int(prefix.network_address), prefix.num_addresses, to):
            continue  # a circuit-wide prefix is on both links: not this case
        link = LinkName(str(culprit[3]))
        if session_up(design, circuit, link):
            continue
        why = (
            f"{reason}: {addr(to)} is advertised only on the {link.value} link of circuit "
            f"{circuit} ({prefix}), whose session is down"
        )
        return "no-route-back", why, culprit
    return None


def crosswise_designation(design: Design, sites: list[str]) -> tuple[str, Culprit] | None:
    """Of the site routers a looping packet crosses (``sites``), one that designates a breakout
    at another of them whose router sends internet traffic elsewhere: (why, culprit)."""
    for x in dict.fromkeys(sites):
        chosen = design.sites[x].breakout if x in design.sites else None
        y = design.breakouts[chosen].site if chosen in design.breakouts else None
        if chosen is None or y is None or y == x or y not in sites:
            continue
        theirs = design.site_breakout(y)
        if theirs is not None and theirs != chosen:
            why = (
                f"site {x} designates breakout {chosen} at site {y}, whose router sends "
                f"internet traffic to {theirs}, its own designation"
            )
            return why, ("sites", x, "breakout")
    return None


def design_rank(design: Design, culprit: Culprit) -> tuple[str | int, ...]:
    """Where a culprit stands in the design file (its object's position in design order, not
    its name): equal failures are named by this, so renaming never changes the culprit."""
    if len(culprit) < 2 or not isinstance(culprit[0], str):
        return ("", -1)
    objects = getattr(design, culprit[0], None)
    name = culprit[1]
    index = -1
    if isinstance(name, int):
        index = name  # a WAN link: its position already
    elif isinstance(objects, dict) and name in objects:
        index = next(i for i, k in enumerate(objects) if k == name)
    return (culprit[0], index, *(str(x) for x in culprit[2:]))
