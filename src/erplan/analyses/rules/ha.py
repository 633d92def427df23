"""ERP70x: high availability of the ExpressRoute design (guide 001)."""

from __future__ import annotations

from collections.abc import Iterator

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity
from erplan.facts import peering_region

_HA_SOURCE = (
    "Guide 001 'High availability and failover with Azure ExpressRoute' (at least two "
    "circuits, each at a different peering location, for every region) [R-HA]"
)


def _regions(ctx: Context) -> dict[str, list[str]]:
    """Circuits by the geopolitical region of their peering location (unknown: by location)."""
    out: dict[str, list[str]] = {}
    for name, c in ctx.design.circuits.items():
        region = peering_region(ctx.catalogs, c.peering_location) or c.peering_location
        out.setdefault(region, []).append(name)
    return out


@rule(
    code="ERP701",
    name="region-single-circuit",
    severity=Severity.WARNING,
    summary="A region is served by a single circuit.",
    source=_HA_SOURCE,
    fix="Provision a second, active/active circuit at another peering location of the region.",
)
def region_single_circuit(ctx: Context) -> Iterator[Hit]:
    """Guide 001 recommends at least two active/active circuits, each at a different peering
    location, for every region where people use ExpressRoute for Microsoft 365, so that each
    region stays connected when a circuit, a provider edge or a whole peering location fails.
    A single circuit is a single point of failure for the region.
    """
    for region, circuits in _regions(ctx).items():
        if len(circuits) == 1:
            name = circuits[0]
            yield Hit(
                f"region {region} is served by circuit {name} alone: its failure leaves the "
                "region without ExpressRoute",
                ("circuits", name, "peering_location"),
                (("circuits", name),),
            )


@rule(
    code="ERP702",
    name="region-single-peering-location",
    severity=Severity.WARNING,
    summary="All circuits of a region are at a single peering location.",
    source=_HA_SOURCE,
    fix="Move one of the circuits to another peering location of the region.",
)
def region_single_peering_location(ctx: Context) -> Iterator[Hit]:
    """Two circuits at the same peering location share its building, power and Microsoft
    edge: a disaster there takes both down. Guide 001 asks for each circuit of a region "with a
    different geographic peering location".
    """
    for region, circuits in _regions(ctx).items():
        locations = {ctx.design.circuits[c].peering_location for c in circuits}
        if len(circuits) > 1 and len(locations) == 1:
            name = circuits[-1]
            yield Hit(
                f"all circuits of region {region} ({', '.join(circuits)}) are at peering "
                f"location {locations.pop()}",
                ("circuits", name, "peering_location"),
                tuple(("circuits", c) for c in circuits),
            )


@rule(
    code="ERP703",
    name="internet-backup",
    severity=Severity.WARNING,
    summary="The internet is declared as a circuit's backup.",
    source="Guide 001 'High availability and failover' (we don't recommend a single circuit "
    "with the internet as a backup) and the Contoso failover example",
    fix="Provision a second circuit at another peering location instead of relying on the "
    "internet as the ExpressRoute backup.",
)
def internet_backup(ctx: Context) -> Iterator[Hit]:
    """Failing over from ExpressRoute to the internet changes the BGP advertisements, the NAT
    configuration, DNS and the proxy configuration at once: it is manual, slow to recover and
    hard to troubleshoot, and it breaks the consistency users expect. Guide 001 does not
    recommend it.
    """
    for name, c in ctx.design.circuits.items():
        if c.internet_backup:
            yield Hit(
                f"circuit {name} relies on the internet as its backup, which guide 001 "
                "advises against",
                ("circuits", name, "internet_backup"),
                (("circuits", name),),
            )
