"""The records of the shipped catalogs: small frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from erplan.names import normalize

__all__ = [
    "CATEGORIES",
    "DYNAMICS_AREA",
    "SERVICE_AREA_COMMUNITY",
    "DynamicsRegion",
    "EndpointSet",
    "FrontEnd",
    "Geography",
    "PeeringLocation",
    "Place",
    "RegionalCommunity",
    "ServiceCommunity",
    "normalize",
]

# The service area of the Dynamics 365 (CRM Online) endpoint sets (data/dynamics.csv): not an
# area of the Microsoft 365 web service, which does not publish Dynamics endpoints.
DYNAMICS_AREA = "Dynamics"

# Service area -> the BGP community its ExpressRoute-able prefixes carry on the Microsoft
# peering (Microsoft 365 prefixes carry service communities only; Dynamics prefixes also carry
# the regional community of the Azure region hosting them).
SERVICE_AREA_COMMUNITY: dict[str, str] = {
    "Exchange": "12076:5010",
    "SharePoint": "12076:5020",
    "Skype": "12076:5030",
    "Common": "12076:5100",
    DYNAMICS_AREA: "12076:5040",
}

CATEGORIES = ("Optimize", "Allow", "Default")

# Registrable domains of third parties (certificate authorities, CDNs) that endpoint sets name:
# what is served there is not on Microsoft's network, so replies follow the internet
# (design notes, "Details that experts will check"). Taken from the shipped endpoint catalog.
THIRD_PARTY_DOMAINS = frozenset(
    {
        "akamaihd.net",
        "digicert.com",
        "entrust.net",
        "geotrust.com",
        "globalsign.com",
        "globalsign.net",
        "identrust.com",
        "letsencrypt.org",
        "omniroot.com",
        "public-trust.com",
        "symcb.com",
        "symcd.com",
        "verisign.com",
        "verisign.net",
    }
)


@dataclass(frozen=True, slots=True)
class PeeringLocation:
    """An ExpressRoute peering (meet-me) location, named exactly as Microsoft names it."""

    name: str
    region: str  # Microsoft's geopolitical region (Premium is needed to leave it)
    country: str
    lat: float
    lon: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "country": self.country,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True, slots=True)
class Place:
    """A city or metro a site can be located at (approximate coordinates)."""

    name: str
    country: str
    region: str
    lat: float
    lon: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "country": self.country,
            "region": self.region,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True, slots=True)
class FrontEnd:
    """A Microsoft 365 front end (front door) metro: where geoDNS answers send users."""

    name: str
    region: str  # Azure region name, the key of the regional BGP community
    geography: str  # geopolitical region, as for peering locations
    lat: float
    lon: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "geography": self.geography,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True, slots=True)
class Geography:
    """A tenant geography: where the tenant's data lives and Microsoft-initiated flows start."""

    name: str
    aliases: tuple[str, ...]
    home_front_end: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "home_front_end": self.home_front_end,
        }


@dataclass(frozen=True, slots=True)
class ServiceCommunity:
    """A service a route filter can admit, and the BGP community Microsoft tags it with."""

    name: str
    community: str
    aliases: tuple[str, ...]
    service_area: str | None  # endpoint-catalog serviceArea whose sets it carries, if any
    authorization: bool  # Microsoft 365 authorization needed to put it in a route filter
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "community": self.community,
            "aliases": list(self.aliases),
            "service_area": self.service_area,
            "authorization": self.authorization,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class RegionalCommunity:
    """An Azure region and the community Microsoft tags that region's prefixes with."""

    region: str
    community: str

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "community": self.community}


@dataclass(frozen=True, slots=True)
class DynamicsRegion:
    """An Azure region that hosts Dynamics 365 (CRM Online) environments: the catalog's endpoint
    set for it (no prefixes: Microsoft publishes none in the web service; a design gives them)."""

    id: int  # endpoint-set id, outside the web service's numbering
    region: str  # Azure region name, the key of the regional BGP community
    geography: str  # Dynamics 365 geography (its URLs are per geography)
    urls: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "region": self.region,
            "geography": self.geography,
            "urls": list(self.urls),
        }


@dataclass(frozen=True, slots=True)
class EndpointSet:
    """One endpoint set of Microsoft's IP Address and URL web service."""

    id: int
    service_area: str
    display_name: str
    urls: tuple[str, ...]
    ips: tuple[IPv4Network, ...]
    tcp_ports: tuple[int, ...]
    udp_ports: tuple[int, ...]
    express_route: bool
    category: str
    required: bool
    notes: str = ""
    # The model is IPv4; IPv6 prefixes of a full download are kept here, apart.
    ipv6: tuple[IPv6Network, ...] = ()
    # Dynamics 365 sets only: the Azure region hosting them and its regional community, which
    # their prefixes carry besides the service community (a "cold potato" can act on it).
    region: str | None = None
    regional_community: str | None = None

    @property
    def third_party(self) -> bool:
        """Served by a third party on the internet (its first URL's domain), not by Microsoft."""
        if self.ips or not self.urls:
            return False
        labels = self.urls[0].lower().rstrip(".").split(".")
        return ".".join(labels[-2:]) in THIRD_PARTY_DOMAINS

    @property
    def community(self) -> str | None:
        """The service community its prefixes carry on the Microsoft peering (None if unknown)."""
        return SERVICE_AREA_COMMUNITY.get(self.service_area)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "service_area": self.service_area,
            "display_name": self.display_name,
            "category": self.category,
            "required": self.required,
            "express_route": self.express_route,
            "community": self.community,
            "urls": list(self.urls),
            "ips": [str(n) for n in self.ips],
            "ipv6": [str(n) for n in self.ipv6],
            "tcp_ports": list(self.tcp_ports),
            "udp_ports": list(self.udp_ports),
            "notes": self.notes,
        }
        if self.region is not None:
            out["region"] = self.region
            out["regional_community"] = self.regional_community
        return out
