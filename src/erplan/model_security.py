"""The security side of a design: how each circuit connects (guide 001's ExpressRoute
integration options, guide 000 §5.1), who meets its addressing duties, what each device is for
and which directions it inspects, and the policy saying which paths must be inspected.

Part of the design model (``erplan.model`` re-exports these types); kept apart so that each
module stays small. No I/O.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from erplan.model_base import Frozen


class Connectivity(StrEnum):
    """The ExpressRoute integration option (guide 001's table; guide 000 §5.1 'deployment
    models')."""

    CO_LOCATION = "co-location"  # co-located at a cloud exchange
    POINT_TO_POINT = "point-to-point"  # point-to-point Ethernet
    IPVPN = "ipvpn"  # any-to-any IPVPN


class Party(StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"


class Duty(StrEnum):
    """The addressing duties of the Microsoft peering (guide 000 §5, §5.1)."""

    NAT = "nat"
    PUBLIC_ADDRESSES = "public_addresses"
    ASN = "asn"


class Addressing(Frozen):
    """Who meets each addressing duty of a circuit. Unset: as the connectivity model says."""

    nat: Party | None = Field(
        default=None,
        description="Who source-NATs traffic into the circuit's public pool (customer or "
        "provider). Default: the provider on an any-to-any IPVPN, else the customer "
        "(guide 000 §5.1).",
    )
    public_addresses: Party | None = Field(
        default=None,
        description="Who provides the public addresses of the peering (/30s, pools, advertised "
        "prefixes). Default: as `nat`'s default.",
    )
    asn: Party | None = Field(
        default=None,
        description="Whose public ASN peers with Microsoft. Default: as `nat`'s default; a "
        "co-location or point-to-point customer may buy it as a provider service.",
    )


class Purpose(StrEnum):
    """What a device does to the traffic it sees (guide 001 'Applying security controls')."""

    FIREWALL = "firewall"
    PROXY = "proxy"
    IDS = "ids"
    IPS = "ips"
    DLP = "dlp"


class Inspects(StrEnum):
    """The directions a control applies to; guide 001 notes they usually differ."""

    OUTBOUND_MICROSOFT = "outbound-microsoft"  # initiated on premises, to Microsoft
    INBOUND_MICROSOFT = "inbound-microsoft"  # initiated by Microsoft, to on premises
    OUTBOUND_INTERNET = "outbound-internet"  # initiated on premises, to the internet
    INBOUND_INTERNET = "inbound-internet"  # internet users reaching a published service


def _purposes(*p: Purpose) -> list[Purpose]:
    return list(p)


class PathPolicy(Frozen):
    """The controls each direction of one kind of path must cross."""

    outbound: list[Purpose] = Field(
        default_factory=lambda: _purposes(Purpose.FIREWALL),
        description="Controls every connection opened from on premises must cross, there and back.",
    )
    inbound: list[Purpose] = Field(
        default_factory=lambda: _purposes(Purpose.FIREWALL),
        description="Controls every connection opened towards an on-premises service must "
        "cross, there and back.",
    )


class SecurityPolicy(Frozen):
    """Which paths and directions require which inspection. Declaring the section applies it;
    a design without it states no policy and nothing is required."""

    expressroute: PathPolicy = Field(
        default_factory=PathPolicy,
        description="Paths over ExpressRoute. Default: a firewall both ways (guide 001: "
        "ExpressRoute connections 'must still be secured in accordance with your company "
        "security policies of connecting to external networks').",
    )
    internet: PathPolicy = Field(
        default_factory=PathPolicy,
        description="Paths over an internet breakout. Default: a firewall both ways.",
    )
    locations: list[str] = Field(
        default_factory=list,
        description="Sites designated as security/perimeter locations (guide 001: 'hairpin "
        "... to specific on-premises locations designated to serve as the security/perimeter'). "
        "Default: the sites where a firewall stands on an internet breakout's path.",
    )
