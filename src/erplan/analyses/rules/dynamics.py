"""ERP75x: Dynamics 365 (CRM Online) routes and the per-region ('cold potato') preference."""

from __future__ import annotations

from collections.abc import Iterator

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.catalogs import EndpointSet
from erplan.catalogs.records import DYNAMICS_AREA
from erplan.diagnostics import Severity
from erplan.facts import dynamics_sets, filter_communities, region_preferences
from erplan.names import normalize

_SOURCE = (
    "Microsoft: ExpressRoute routing, support for BGP communities (CRM Online 12076:5040, "
    "regional communities) [R-ROUTE]; route filters [R-RF] (FACTS.md §1.6, §2.1, §2.2); "
    "guide 000 §7.3.1"
)


@rule(
    code="ERP750",
    name="dynamics-not-admitted",
    severity=Severity.WARNING,
    summary="The tenant's Dynamics 365 prefixes are admitted by no circuit's route filter.",
    source=_SOURCE,
    fix="Add CRM Online (12076:5040) to the route filter of the circuits that should carry "
    "Dynamics 365; it needs no Microsoft 365 authorization.",
)
def dynamics_not_admitted(ctx: Context) -> Iterator[Hit]:
    """Microsoft advertises a prefix on the peering only when the route filter admits one of
    its communities. The tenant's Dynamics 365 prefixes carry the CRM Online service community:
    when no circuit admits it they arrive nowhere, every Dynamics flow goes over the internet,
    and a per-region preference has nothing to act on.
    """
    d = ctx.design
    if not d.circuits:
        return
    service = ctx.catalogs.service(DYNAMICS_AREA)
    admitted: set[str] = set()
    for c in d.circuits.values():
        admitted |= filter_communities(ctx.catalogs, c.route_filter)
    for es in dynamics_sets(d, ctx.catalogs):
        if es.express_route and es.community not in admitted and es.region is not None:
            region = next(r for r in d.tenant.dynamics if _same(r, es.region))
            yield Hit(
                f"the Dynamics 365 prefixes of {es.region} are admitted by no circuit's route "
                f"filter ({service.name if service else 'CRM Online'} {es.community}): they "
                "are reached over the internet everywhere",
                ("tenant", "dynamics", region),
                tuple(("circuits", n) for n in d.circuits),
            )


@rule(
    code="ERP751",
    name="region-preference-not-admitted",
    severity=Severity.WARNING,
    summary="A circuit prefers a Dynamics 365 region whose routes its route filter does not admit.",
    source=_SOURCE,
    fix="Add CRM Online (12076:5040) to this circuit's route filter, or drop the region from "
    "its region_preference.",
)
def region_preference_not_admitted(ctx: Context) -> Iterator[Hit]:
    """A per-region local preference ('cold potato', guide 000 §7.3.1) matches the regional
    community of routes the circuit receives. When its route filter does not admit the CRM
    Online community, the tenant's Dynamics 365 prefixes of that region never arrive on the
    circuit: the preference is inert, and the sites keep using another circuit for them.
    """
    d, cat = ctx.design, ctx.catalogs
    sets = dynamics_sets(d, cat)
    hosted = {es.regional_community for es in sets if es.express_route}
    by_regional: dict[str | None, EndpointSet] = {}
    for es in sets:
        by_regional.setdefault(es.regional_community, es)
    for name, c in d.circuits.items():
        admits = filter_communities(cat, c.route_filter)
        prefs = region_preferences(d, cat, name)
        for region in c.region_preference:
            rc = cat.regional_community(region)
            if rc is None or rc.community not in prefs or rc.community not in hosted:
                continue
            es = by_regional[rc.community]
            if es.community not in admits:
                yield Hit(
                    f"circuit {name} prefers {rc.region} ({rc.community}), but its route filter "
                    f"does not admit {es.community}: the tenant's Dynamics 365 prefixes there "
                    "never arrive on it",
                    ("circuits", name, "region_preference", region),
                    (("circuits", name),),
                    key=True,
                )


def _same(a: str, b: str) -> bool:
    return normalize(a) == normalize(b)
