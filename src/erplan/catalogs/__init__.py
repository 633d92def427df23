"""The Microsoft side as data: peering locations, places, front ends, geographies, service
communities and endpoint sets, shipped with erplan and overridable with a fresh endpoint
download (``--endpoints FILE``). Where each fact comes from: ``data/SOURCES.md``.
"""

from typing import TYPE_CHECKING, Any

from erplan.catalogs.catalog import (
    MICROSOFT_INTERNET_BLOCK,
    OTHER_MICROSOFT,
    Catalogs,
    great_circle_km,
    load_catalogs,
)
from erplan.catalogs.endpoints import MAX_ENDPOINTS_BYTES, read_endpoints
from erplan.catalogs.records import (
    SERVICE_AREA_COMMUNITY,
    DynamicsRegion,
    EndpointSet,
    FrontEnd,
    Geography,
    PeeringLocation,
    Place,
    RegionalCommunity,
    ServiceCommunity,
    normalize,
)
from erplan.names import closest as suggest

if TYPE_CHECKING:
    from erplan.catalogs.diff import Change, EndpointsDiff, SetChange, diff_endpoints

# Comparing two downloads is `erplan endpoints diff`'s alone: imported when first asked for.
_FROM_DIFF = frozenset(("Change", "EndpointsDiff", "SetChange", "diff_endpoints"))


def __getattr__(name: str) -> Any:
    if name in _FROM_DIFF:
        from erplan.catalogs import diff

        return getattr(diff, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_ENDPOINTS_BYTES",
    "MICROSOFT_INTERNET_BLOCK",
    "OTHER_MICROSOFT",
    "SERVICE_AREA_COMMUNITY",
    "Catalogs",
    "Change",
    "DynamicsRegion",
    "EndpointSet",
    "EndpointsDiff",
    "FrontEnd",
    "Geography",
    "PeeringLocation",
    "Place",
    "RegionalCommunity",
    "ServiceCommunity",
    "SetChange",
    "diff_endpoints",
    "great_circle_km",
    "load_catalogs",
    "normalize",
    "read_endpoints",
    "suggest",
]
