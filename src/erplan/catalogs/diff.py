"""What changed between two versions of the endpoint catalog.

Microsoft changes the endpoints as often as weekly; a set gaining or losing ExpressRoute
support, or an ExpressRoute-able set gaining prefixes, changes what a route filter admits and
what a PAC file must send DIRECT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from erplan.catalogs.records import EndpointSet

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
