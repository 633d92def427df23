"""Which translation pulls an address away from the NAT point that translated into it: the
pools, NAT addresses and published addresses of a design are routed inside to the device that
translates into them (DESIGN "State"), longest prefix first, so a more specific one owned by
another device takes part of a pool from its owner."""

from __future__ import annotations

from erplan.engine.ranges import addr
from erplan.facts import TranslationKind, inbound_pool, translations
from erplan.model import Design

_WHAT = {
    TranslationKind.SNAT: "outbound pool",
    TranslationKind.INBOUND_SNAT: "inbound pool",
    TranslationKind.DNAT: "published address",
}
Culprit = tuple[str | int, ...]


def _covers(prefix_start: int, size: int, address: int) -> bool:
    return prefix_start <= address < prefix_start + size


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
    culprit: Culprit = ("services", service, "inbound_snat")
    if kind == "circuit" and name not in svc.inbound_snat:
        culprit = ("circuits", name, "inbound_snat_pool")
    return "shared-inbound-pool", why, culprit
