"""What changed between two versions of the endpoint catalog.

Microsoft changes the endpoints as often as weekly; a set gaining or losing ExpressRoute
support, or an ExpressRoute-able set gaining prefixes, changes what a route filter admits and
what a PAC file must send DIRECT. :func:`expressroute_changes` sums up exactly that, with the
effective dates Microsoft publishes for added addresses when the newer file carries its change
records (``erplan endpoints fetch`` keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from erplan.catalogs.records import EndpointSet

if TYPE_CHECKING:
    from erplan.catalogs.endpoints import ChangeRecord

# Guide 001, "Implementing ExpressRoute for Microsoft 365", on the RSS feed of endpoint changes.
EFFECTIVE_DATE_NOTE = (
    'Guide 001: "Pay close attention to the Effective Date in the RSS feed where the changes are '
    "announced [...], IP addresses that are announced may not be advertised, or removed from "
    'advertisement, until the effective date is reached." Change route filters, PAC files and '
    "firewall rules for these prefixes on that date, not before."
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    old: T
    new: T

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class SetChange:
    """The differences of one endpoint set present in both versions."""

    id: int
    service_area: str
    expressroute_set: bool  # ExpressRoute-able in the old or the new version
    express_route: Change[bool] | None = None
    category: Change[str] | None = None
    required: Change[bool] | None = None
    service_area_change: Change[str] | None = None
    ips_added: tuple[str, ...] = ()
    ips_removed: tuple[str, ...] = ()
    urls_added: tuple[str, ...] = ()
    urls_removed: tuple[str, ...] = ()
    tcp_ports: Change[tuple[int, ...]] | None = None
    udp_ports: Change[tuple[int, ...]] | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.express_route,
                self.category,
                self.required,
                self.service_area_change,
                self.ips_added,
                self.ips_removed,
                self.urls_added,
                self.urls_removed,
                self.tcp_ports,
                self.udp_ports,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        def ch(c: Change[Any] | None) -> dict[str, Any] | None:
            if c is None:
                return None
            if isinstance(c.old, tuple):
                return {"old": list(c.old), "new": list(c.new)}
            return c.to_dict()

        return {
            "id": self.id,
            "service_area": self.service_area,
            "expressroute_set": self.expressroute_set,
            "express_route": ch(self.express_route),
            "category": ch(self.category),
            "required": ch(self.required),
            "service_area_change": ch(self.service_area_change),
            "ips_added": list(self.ips_added),
            "ips_removed": list(self.ips_removed),
            "urls_added": list(self.urls_added),
            "urls_removed": list(self.urls_removed),
            "tcp_ports": ch(self.tcp_ports),
            "udp_ports": ch(self.udp_ports),
        }


@dataclass(frozen=True, slots=True)
class EndpointsDiff:
    added: tuple[EndpointSet, ...] = ()
    removed: tuple[EndpointSet, ...] = ()
    changed: tuple[SetChange, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def expressroute_affected(self) -> bool:
        """Whether anything a route filter or PAC file depends on changed."""
        return (
            any(s.express_route for s in (*self.added, *self.removed))
            or any(c.express_route is not None for c in self.changed)
            or any(
                c.expressroute_set
                and (c.ips_added or c.ips_removed or c.urls_added or c.urls_removed)
                for c in self.changed
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON: sets by id, lists sorted."""
        return {
            "added": [s.to_dict() for s in self.added],
            "removed": [s.to_dict() for s in self.removed],
            "changed": [c.to_dict() for c in self.changed],
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
                "expressroute_affected": self.expressroute_affected,
            },
        }


def _added_removed(old: Iterable[str], new: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    o, n = set(old), set(new)
    return tuple(sorted(n - o)), tuple(sorted(o - n))


def _change(old: T, new: T) -> Change[T] | None:
    return None if old == new else Change(old, new)


def diff_endpoints(old: Iterable[EndpointSet], new: Iterable[EndpointSet]) -> EndpointsDiff:
    """Sets added and removed, and per common set every field that changed."""
    before = {s.id: s for s in old}
    after = {s.id: s for s in new}
    changed: list[SetChange] = []
    for set_id in sorted(before.keys() & after.keys()):
        a, b = before[set_id], after[set_id]
        ips_added, ips_removed = _added_removed(
            map(str, (*a.ips, *a.ipv6)), map(str, (*b.ips, *b.ipv6))
        )
        urls_added, urls_removed = _added_removed(a.urls, b.urls)
        change = SetChange(
            id=set_id,
            service_area=b.service_area,
            expressroute_set=a.express_route or b.express_route,
            express_route=_change(a.express_route, b.express_route),
            category=_change(a.category, b.category),
            required=_change(a.required, b.required),
            service_area_change=_change(a.service_area, b.service_area),
            ips_added=ips_added,
            ips_removed=ips_removed,
            urls_added=urls_added,
            urls_removed=urls_removed,
            tcp_ports=_change(a.tcp_ports, b.tcp_ports),
            udp_ports=_change(a.udp_ports, b.udp_ports),
        )
        if not change.empty:
            changed.append(change)
    return EndpointsDiff(
        added=tuple(after[i] for i in sorted(after.keys() - before.keys())),
        removed=tuple(before[i] for i in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
    )


@dataclass(frozen=True, slots=True)
class Prefix:
    """A prefix of an ExpressRoute-able set, with the community route filters admit it by."""

    set_id: int
    service_area: str
    community: str | None
    prefix: str
    effective: str | None = None  # YYYYMMDD from the change records, when known

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set_id,
            "service_area": self.service_area,
            "community": self.community,
            "prefix": self.prefix,
            "effective": self.effective,
        }


@dataclass(frozen=True, slots=True)
class ExpressRouteChanges:
    """What changed for ExpressRoute: sets that became or stopped being ExpressRoute-able
    (sets added or removed count too), and prefixes added to or removed from sets that are
    ExpressRoute-able in both versions."""

    became: tuple[EndpointSet, ...] = ()
    stopped: tuple[EndpointSet, ...] = ()
    prefixes_added: tuple[Prefix, ...] = ()
    prefixes_removed: tuple[Prefix, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.became or self.stopped or self.prefixes_added or self.prefixes_removed)

    def to_dict(self) -> dict[str, Any]:
        def brief(s: EndpointSet) -> dict[str, Any]:
            return {
                "id": s.id,
                "service_area": s.service_area,
                "category": s.category,
                "community": s.community,
                "ips": [str(n) for n in (*s.ips, *s.ipv6)],
            }

        return {
            "became_expressroute": [brief(s) for s in self.became],
            "stopped_expressroute": [brief(s) for s in self.stopped],
            "prefixes_added": [p.to_dict() for p in self.prefixes_added],
            "prefixes_removed": [p.to_dict() for p in self.prefixes_removed],
            "note": EFFECTIVE_DATE_NOTE if not self.empty else None,
        }


def _effective_dates(changes: Iterable[ChangeRecord]) -> dict[tuple[int, str], str]:
    """(set id, added prefix) -> the latest effective date the change records give it."""
    out: dict[tuple[int, str], str] = {}
    for c in changes:
        if c.add is None or not c.add.effectiveDate:
            continue
        for ip in c.add.ips:
            key = (c.endpointSetId, ip.strip())
            out[key] = max(out.get(key, ""), c.add.effectiveDate)
    return out


def expressroute_changes(
    old: Iterable[EndpointSet],
    new: Iterable[EndpointSet],
    changes: Iterable[ChangeRecord] = (),
) -> ExpressRouteChanges:
    """What changed for ExpressRoute between two versions (``changes``: the newer file's
    change records, for effective dates)."""
    before = {s.id: s for s in old}
    after = {s.id: s for s in new}
    dates = _effective_dates(changes)
    became: list[EndpointSet] = []
    stopped: list[EndpointSet] = []
    added: list[Prefix] = []
    removed: list[Prefix] = []
    for set_id in sorted(before.keys() | after.keys()):
        a, b = before.get(set_id), after.get(set_id)
        was = a is not None and a.express_route
        now = b is not None and b.express_route
        if now and not was:
            assert b is not None
            became.append(b)
        elif was and not now:
            assert a is not None
            stopped.append(a)
        elif was and now:
            assert a is not None and b is not None
            old_p = {str(n) for n in (*a.ips, *a.ipv6)}
            new_p = {str(n) for n in (*b.ips, *b.ipv6)}
            added.extend(
                Prefix(b.id, b.service_area, b.community, p, dates.get((b.id, p)))
                for p in sorted(new_p - old_p)
            )
            removed.extend(
                Prefix(a.id, a.service_area, a.community, p) for p in sorted(old_p - new_p)
            )
    return ExpressRouteChanges(tuple(became), tuple(stopped), tuple(added), tuple(removed))
