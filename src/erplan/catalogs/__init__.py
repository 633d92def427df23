"""The Microsoft side as data: peering locations, places, front ends, geographies, service
communities and endpoint sets, shipped with erplan and overridable with a fresh endpoint
download (``--endpoints FILE``). Where each fact comes from: ``data/SOURCES.md``.
"""

from erplan.catalogs.catalog import (
    MICROSOFT_INTERNET_BLOCK,
    OTHER_MICROSOFT,
    Catalogs,
    great_circle_km,
    load_catalogs,
)
from erplan.catalogs.diff import Change, EndpointsDiff, SetChange, diff_endpoints
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
