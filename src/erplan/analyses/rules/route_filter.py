"""ERP6xx: route filters of the Microsoft peering."""

from __future__ import annotations

from collections.abc import Iterator

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity
from erplan.facts import area_communities, filter_communities


@rule(
    code="ERP601",
    name="route-filter-empty",
    severity=Severity.ERROR,
    summary="A circuit's route filter admits no service: it receives no Microsoft routes.",
    source="Microsoft: route filters for Microsoft peering — since 2017-08-01 a Microsoft "
    "peering advertises no routes until a route filter is attached [R-RF][R-PEER][R-CLI] "
    "(FACTS.md §1.6)",
    fix="Attach a route filter admitting the service communities the users need (e.g. "
    "Exchange 12076:5010, SharePoint 12076:5020, Skype 12076:5030, Other Office 365 "
    "12076:5100); Microsoft 365 communities need Microsoft's authorization.",
)
def route_filter_empty(ctx: Context) -> Iterator[Hit]:
    """A route filter is the allow-list of service communities Microsoft advertises on the
    peering. Since 2017-08-01 a new Microsoft peering advertises nothing until one is attached:
    a circuit without services in `route_filter` carries no Microsoft 365 traffic at all.
    """
    for name, c in ctx.design.circuits.items():
        if not c.route_filter:
            yield Hit(
                f"circuit {name} has an empty route filter: Microsoft advertises no routes on "
                "it, so no traffic uses it",
                ("circuits", name, "route_filter")
                if "route_filter" in c.model_fields_set
                else ("circuits", name),
                (("circuits", name),),
                key="route_filter" not in c.model_fields_set,
            )


@rule(
    code="ERP602",
    name="service-not-admitted",
    severity=Severity.WARNING,
    summary="A service the users rely on is admitted by no circuit's route filter.",
    source="Microsoft: route filters [R-RF] and BGP communities in ExpressRoute for Office 365 "
    "[M-BGP] (FACTS.md §1.6, §2.1); guide 001 'Begin by gathering requirements'",
    fix="Add the service to the route filter of the circuits that should carry it, or remove "
    "it from `tenant.services` if it is meant to stay on the internet.",
)
def service_not_admitted(ctx: Context) -> Iterator[Hit]:
    """Only the prefixes whose service community a route filter admits are advertised to the
    customer. A service area of `tenant.services` with ExpressRoute-able endpoint sets whose
    community no circuit admits stays on the internet everywhere — usually an oversight when
    the circuits were bought for it. (Leave it out of `tenant.services`, or silence the rule,
    when that is the intent.)
    """
    d = ctx.design
    if not d.circuits:
        return
    admitted: set[str] = set()
    for c in d.circuits.values():
        admitted |= filter_communities(ctx.catalogs, c.route_filter)
    for i, area in enumerate(d.tenant.services):
        needed = area_communities(ctx.catalogs, area)
        if needed and not needed & admitted:
            yield Hit(
                f"the users rely on {area}, but no circuit's route filter admits its community "
                f"({', '.join(sorted(needed))}): it goes over the internet everywhere",
                ("tenant", "services", i),
                tuple(("circuits", n) for n in d.circuits),
            )
