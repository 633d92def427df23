"""The links of a design's network: WAN links between sites, internet breakouts, and
ExpressRoute circuits with their two links. Part of the design model (``erplan.model``
re-exports these types); kept apart so that each module stays small. No I/O.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network

from pydantic import Field

from erplan.model_base import Frozen as _Frozen
from erplan.model_base import Silence
from erplan.model_security import Addressing, Connectivity


class WanLink(_Frozen):
    between: tuple[str, str] = Field(description="The two sites the link joins.")
    latency_ms: float | None = Field(
        default=None,
        ge=0,
        description="Round-trip latency in ms. Default: estimated from distance.",
    )
    cost: float | None = Field(
        default=None, ge=0, description="IGP cost (hot-potato distance). Default: the latency."
    )
    up: bool = Field(default=True, description="Set false to study the design with the link down.")
    silence: Silence


class Breakout(_Frozen):
    site: str = Field(description="The site where this internet breakout is.")
    nat: list[IPv4Network] = Field(
        default_factory=list,
        description="Source-NAT address(es) used for internet traffic (single addresses as /32).",
    )
    advertises: list[IPv4Network] = Field(
        default_factory=list, description="Prefixes announced to the internet from this breakout."
    )
    devices: list[str] = Field(
        default_factory=list, description="Stateful devices on the internet path (perimeter)."
    )
    latency_ms: float | None = Field(
        default=None,
        ge=0,
        description="Round-trip latency from the breakout to the nearest Microsoft front door. "
        "Default: estimated.",
    )
    up: bool = Field(default=True, description="Set false to study the design with it down.")
    silence: Silence


class LinkName(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class CircuitLink(_Frozen):
    """One of a circuit's two links, after the split: it may carry its own configuration."""

    advertises: list[IPv4Network] = Field(
        default_factory=list,
        description="Prefixes advertised to Microsoft on this link only, besides the circuit's.",
    )
    snat_pool: IPv4Network | None = Field(
        default=None,
        description="Outbound source-NAT pool of this link (NAT after the split), translated by "
        "the first device of kind nat in the link's `devices`, else by the link's edge router. "
        "Excludes the circuit-level `snat_pool`.",
    )
    devices: list[str] = Field(
        default_factory=list,
        description="Devices on this link only, between the customer edge and the link's edge "
        "router, in order from the customer edge.",
    )
    up: bool = Field(default=True, description="Set false to study the design with it down.")
    silence: Silence


class Circuit(_Frozen):
    peering_location: str = Field(
        description="ExpressRoute peering (meet-me) location, as Microsoft names it."
    )
    site: str = Field(description="The site where the provider edge attaches.")
    access_latency_ms: float | None = Field(
        default=None,
        ge=0,
        description="Round-trip latency from the users at the circuit's site to the Microsoft "
        "network over this circuit (guide 001's 'expected latency to Microsoft network over "
        "ExpressRoute'): the leg from the site to the Microsoft edge at the peering location. "
        "Default: estimated from distance.",
    )
    bandwidth_mbps: int = Field(default=1000, gt=0, description="Circuit bandwidth in Mbps.")
    peer_asn: int = Field(ge=1, le=4294967295, description="The customer's (peer) ASN.")
    primary_subnet: IPv4Network | None = Field(
        default=None, description="The /30 of the primary link (customer .1, Microsoft .2)."
    )
    secondary_subnet: IPv4Network | None = Field(
        default=None, description="The /30 of the secondary link."
    )
    vlan: int | None = Field(default=None, ge=1, le=4094, description="802.1Q VLAN ID.")
    route_filter: list[str] = Field(
        default_factory=list,
        description="Services admitted by the route filter (Exchange, SharePoint, Skype, "
        "Other Office 365, CRM, ...): Microsoft advertises only their prefixes.",
    )
    snat_pool: IPv4Network | None = Field(
        default=None,
        description="Outbound source-NAT pool for traffic sent into this circuit, translated "
        "before the split into the two links (by the first device of kind nat in `devices`, "
        "else by the customer edge router). Without one (and without per-link pools), clients "
        "keep their own source address.",
    )
    advertises: list[IPv4Network] = Field(
        default_factory=list,
        description="Prefixes advertised to Microsoft on both links of this circuit (together "
        "with the links' own they are also Microsoft's inbound source filter).",
    )
    prepend: dict[IPv4Network, int] = Field(
        default_factory=dict,
        description="AS-path prepend count per advertised prefix (guide 000 §7.4.1).",
    )
    prepend_asn: int | None = Field(
        default=None, ge=1, le=4294967295, description="ASN used to prepend. Default: peer_asn."
    )
    local_preference: int = Field(
        default=100, ge=0, description="BGP local preference of the routes learned on the circuit."
    )
    region_preference: dict[str, int] = Field(
        default_factory=dict,
        description="Local preference per Azure region for the routes tagged with that region's "
        "regional community ('cold potato', guide 000 §7.3.1): the tenant's Dynamics 365 "
        "prefixes. Microsoft 365 prefixes carry no regional community: it has no effect on "
        "them, and they keep `local_preference`.",
    )
    devices: list[str] = Field(
        default_factory=list,
        description="Devices between the site router and the customer edge, before the split "
        "into the two links, in order from the site.",
    )
    links: dict[LinkName, CircuitLink] = Field(
        default_factory=dict,
        description="Per-link configuration after the split (primary, secondary): their own "
        "advertisements, NAT pool, devices and state. Microsoft balances flows over both links, "
        "so anything stateful placed per link must see both directions of a flow.",
    )
    inbound_snat_pool: IPv4Network | None = Field(
        default=None,
        description="Source-NAT pool for inbound connections entering by this circuit "
        "(guide 000 §7.4.2).",
    )
    internet_backup: bool = Field(
        default=False,
        description="Declares the internet as this circuit's backup "
        "(guide 001 advises against it).",
    )
    connectivity: Connectivity | None = Field(
        default=None,
        description="How the circuit is bought: co-location (co-located at a cloud exchange), "
        "point-to-point (point-to-point Ethernet) or ipvpn (any-to-any IPVPN): it decides who "
        "meets the addressing duties (guide 000 §5.1) and the security placement options "
        "(guide 001). Default: not stated.",
    )
    addressing: Addressing = Field(
        default_factory=Addressing,
        description="Who provides NAT, public addresses and the ASN (customer or provider), "
        "where it differs from what the connectivity model implies.",
    )
    ipvpn_sites: list[str] = Field(
        default_factory=list,
        description="For an any-to-any IPVPN: the sites that egress into the IPVPN themselves; "
        "their ExpressRoute traffic leaves there, not at the circuit's site, so it must be "
        "secured there (guide 001, ERP732). Only the security rules read it: the flows of a "
        "listed site are traced as the design's routing carries them, through the WAN to the "
        "circuit's site, where erplan attaches the provider edge (their paths, latency and "
        "verdicts are those of that hairpin; a device there counts as crossed). "
        "Default: only the circuit's site (traffic hairpins there).",
    )
    up: bool = Field(default=True, description="Set false to study the design with it down.")
    silence: Silence
