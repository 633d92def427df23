"""The design: what an architect writes in a design file, as frozen, validated types. No I/O.

Every name is the key of a map (so a duplicate name is a duplicate key). Cross references
(a site's breakout, a circuit's site, a device...) are checked by the loader, which knows where
each value sits in the file; here they are plain strings.

Field documentation lives in the ``description`` of each field: it feeds ``erplan schema`` and
``docs/design-format.md``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from erplan.model_base import Frozen as _Frozen
from erplan.model_base import Silence
from erplan.model_devices import Device, DeviceKind, Server
from erplan.model_network import Breakout, Circuit, CircuitLink, LinkName, WanLink
from erplan.model_plan import Stage, StagesPlan, Workload
from erplan.model_security import (
    Addressing,
    Connectivity,
    Duty,
    Inspects,
    Party,
    PathPolicy,
    Purpose,
    SecurityPolicy,
)

__all__ = [
    "Addressing",
    "Breakout",
    "Circuit",
    "CircuitLink",
    "Connectivity",
    "Device",
    "DeviceKind",
    "Duty",
    "Inspects",
    "LinkName",
    "Party",
    "PathPolicy",
    "Purpose",
    "SecurityPolicy",
    "Server",
    "Silence",
    "Stage",
    "StagesPlan",
    "WanLink",
    "Workload",
]

FORMAT_VERSION = 1

# The literal entry-path names an inbound service may use besides circuit and breakout names.
ENTRY_INTERNET = "internet"
ENTRY_EXPRESSROUTE = "expressroute"


class LatLon(_Frozen):
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees.")


Place = Annotated[
    str | LatLon,
    Field(
        description=(
            "A known city or peering location name (see `erplan catalog`), "
            "or {lat, lon} in degrees."
        )
    ),
]


class DynamicsEnvironment(_Frozen):
    """The tenant's Dynamics 365 (CRM Online) environments in one Azure region."""

    prefixes: list[IPv4Network] = Field(
        default_factory=list,
        description="Microsoft's prefixes for Dynamics 365 in this region, as the customer "
        "obtained them (Microsoft's endpoint web service publishes none; `erplan endpoints "
        "dynamics` takes them from an Azure service-tag download). They are advertised "
        "over the Microsoft peering with the CRM Online service community (12076:5040) and the "
        "region's regional community. None: reached over the internet only.",
    )


class Tenant(_Frozen):
    geography: str = Field(
        description="Where the tenant's data lives (US, EU, APAC, UK, ...): inbound flows start "
        "there "
        "by default, and front ends relay to it over the Microsoft backbone (guide 000 Figure 6)."
    )
    name: str | None = Field(default=None, description="Tenant name, e.g. contoso.")
    services: list[str] = Field(
        default_factory=lambda: ["Exchange", "SharePoint", "Skype", "Common"],
        description="Service areas the users rely on (Exchange, SharePoint, Skype, Common): "
        "outbound flows are derived for their endpoint sets.",
    )
    dynamics: dict[str, DynamicsEnvironment] = Field(
        default_factory=dict,
        description="Dynamics 365 (CRM Online) environments by the Azure region hosting them "
        "(see `erplan catalog dynamics`): every site's users reach each one, at its region "
        "whatever resolves the name. A circuit's `region_preference` acts on their routes "
        "('cold potato', guide 000 §7.3.1).",
    )


class ProxyMode(StrEnum):
    DIRECT = "direct"  # no proxy: every flow routed from the site itself
    PAC = "pac"  # PAC file: ExpressRoute-able URLs DIRECT, the rest to the proxy
    ALL = "all"  # everything through the proxy


class Proxy(_Frozen):
    mode: ProxyMode = Field(
        default=ProxyMode.DIRECT,
        description="direct: no proxy. pac: ExpressRoute-able URLs go DIRECT, everything else to "
        "the proxy (guide 000 §2.2, Figure 3). all: every flow goes through the proxy "
        "(guide 000 Figure 5).",
    )
    site: str | None = Field(
        default=None,
        description="The site where the proxy runs; its flows leave from there. "
        "Default: this site.",
    )
    address: str = Field(
        default="proxy:8080", description="host:port written into PAC files for the proxy."
    )
    device: str | None = Field(
        default=None,
        description="The proxy as a device (kind proxy) of the design: its site, address, egress, "
        "state and upstream proxy replace `site` and `address`.",
    )
    direct_internet: bool = Field(
        default=True,
        description="Whether the site's clients may reach the internet directly. False: the "
        "perimeter lets only proxies and resolvers out, so a DIRECT decision works only over an "
        "ExpressRoute route (guide 000 §2.2).",
    )


class Site(_Frozen):
    location: Place
    users: int = Field(default=0, ge=0, description="People who use Microsoft 365 from this site.")
    breakout: str | None = Field(
        default=None,
        description="The internet breakout this site's internet traffic leaves by (its default "
        "route's preference). Default: the breakout located at this site (the first listed "
        "when it holds several, which ERP930 asks to name); a site without one takes the "
        "nearest breakout by IGP.",
    )
    resolver_egress: str | None = Field(
        default=None,
        description="The internet breakout where this site's DNS queries leave the network: geoDNS "
        "answers with the front end nearest to it (guide 000 §3). Default: the site's breakout.",
    )
    proxy: Proxy = Field(default_factory=Proxy, description="How the site's clients reach the web.")
    er_routes: bool = Field(
        default=True,
        description="Whether Microsoft routes learned over ExpressRoute are propagated to this "
        "site "
        "(route scope; guide 000 §3 fix 1, guide 001 Solution 1b).",
    )
    internet_latency_ms: float | None = Field(
        default=None,
        ge=0,
        description="Round-trip latency from this site to the Microsoft network over its internet "
        "egress, as in guide 001's meet-me table. Default: estimated.",
    )
    prefixes: list[IPv4Network] = Field(
        default_factory=list,
        description="Internal (usually RFC 1918) prefixes of the site: client and server "
        "addresses.",
    )
    devices: list[str] = Field(
        default_factory=list,
        description="Devices between the site's hosts and its router, in order from the hosts: "
        "every flow of the site crosses them.",
    )
    workload: str | None = Field(
        default=None,
        description="The workload profile of the site's users (a name in `workloads`): their "
        "bandwidth per Microsoft 365 workload. Default: the profile named `default` in "
        "`workloads`, else erplan's built-in defaults.",
    )
    multipath: bool = Field(
        default=False,
        description="The site router balances flows over every ExpressRoute path still tied "
        "after local preference and IGP distance (BGP multipath). Without it a tie is broken "
        "by BGP's last tie-breakers, which a design does not state: erplan follows every tied "
        "path and says when the outcome depends on the tie.",
    )
    silence: Silence


class Service(_Frozen):
    """An on-premises service that Microsoft 365 connects to (hybrid): an inbound flow."""

    fqdn: str = Field(description="The name Microsoft 365 resolves with public DNS.")
    dns_record: IPv4Address = Field(description="The public DNS A record of the FQDN.")
    public_address: IPv4Address = Field(
        description="The public address the service is published on (DNAT source, or the "
        "server's own public address)."
    )
    internal_address: IPv4Address | None = Field(
        default=None,
        description="Destination-NAT target. Absent: the server has the public address itself.",
    )
    site: str = Field(description="The site hosting the server.")
    entry: list[str] = Field(
        default_factory=lambda: [ENTRY_INTERNET],
        description="Intended entry paths: 'internet', 'expressroute', or circuit/breakout names. "
        "The DNAT mapping is held at each of them.",
    )
    inbound_snat: dict[str, IPv4Network] = Field(
        default_factory=dict,
        description="Inbound source-NAT pool per entry path (circuit or breakout name).",
    )
    initiator: str = Field(
        default="Exchange",
        description="The Microsoft service that opens the connection (a service area or name).",
    )
    initiator_geography: str | None = Field(
        default=None, description="Where the initiator runs. Default: the tenant's geography."
    )
    ports: list[int] = Field(
        default_factory=lambda: [443],
        description="TCP ports Microsoft connects to (25: SMTP from Exchange Online Protection, "
        "whose senders include addresses outside the prefixes advertised over ExpressRoute).",
    )
    initiator_regions: list[str] | None = Field(
        default=None,
        description="The front ends (Microsoft regions) the initiating service connects from. "
        "Default: every region that runs Microsoft 365 (the catalog's geographies), the "
        "tenant's first.",
    )
    used_by_internet_users: bool = Field(
        default=True, description="Whether users on the internet also reach this endpoint."
    )
    used_by_other_microsoft_services: bool = Field(
        default=False,
        description="Whether non-Microsoft-365 Microsoft services also connect to it.",
    )
    silence: Silence


class Analysis(_Frozen):
    suboptimal_ms: float = Field(
        default=25, ge=0, description="A flow is suboptimal when it is this much slower..."
    )
    suboptimal_ratio: float = Field(
        default=1.5,
        ge=1,
        description="...and this many times slower than the best the design offers.",
    )
    route_factor: float = Field(
        default=1.5, ge=1, description="Fibre route stretch used when estimating latency."
    )
    access_ms: float = Field(
        default=2, ge=0, description="Fixed cost added to every estimated latency."
    )
    users_per_address: int = Field(
        default=6000,
        ge=1,
        description="Users one public NAT address serves (Microsoft's NAT sizing worked example).",
    )
    headroom_min: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Circuit headroom below which congestion is likely (guide 001: 'Typical "
        "headroom target allocations are 20% to 50%').",
    )
    headroom_max: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Circuit headroom above which the bandwidth is mostly unnecessary cost "
        "(at least headroom_min).",
    )

    @field_validator("headroom_max")
    @classmethod
    def _target_is_a_range(cls, v: float, info: ValidationInfo) -> float:
        # A target whose top is below its bottom calls the same headroom both congestion and
        # cost; refused like any number out of its range (ERP014), at headroom_max.
        low = info.data.get("headroom_min")
        if low is not None and v < low:
            raise PydanticCustomError(
                "greater_than_equal",
                "Input should be greater than or equal to headroom_min",
                {"ge": low},
            )
        return v


class Design(_Frozen):
    erplan: Literal[1] = Field(description="Design-file format version.")
    name: str | None = Field(default=None, description="A title for reports.")
    description: str | None = Field(default=None, description="Free text.")
    tenant: Tenant = Field(description="The Microsoft 365 tenant: its geography and services.")
    sites: dict[str, Site] = Field(description="Locations where people or servers are.")
    wan: list[WanLink] = Field(default_factory=list, description="Links between sites.")
    breakouts: dict[str, Breakout] = Field(default_factory=dict, description="Internet breakouts.")
    circuits: dict[str, Circuit] = Field(
        default_factory=dict, description="ExpressRoute circuits with Microsoft peering."
    )
    services: dict[str, Service] = Field(
        default_factory=dict, description="On-premises services Microsoft 365 connects to."
    )
    devices: dict[str, Device] = Field(
        default_factory=dict, description="Stateful devices: firewalls, NAT boxes, proxies."
    )
    servers: dict[str, Server] = Field(
        default_factory=dict,
        description="On-premises hosts that open connections to Microsoft 365 themselves.",
    )
    workloads: dict[str, Workload] = Field(
        default_factory=dict,
        description="Named workload profiles (bandwidth per user per workload) that sites refer "
        "to; a profile named `default` applies to every site that names none.",
    )
    security: SecurityPolicy | None = Field(
        default=None,
        description="Which paths and directions require inspection (guide 001 'Applying "
        "security controls'). Absent: the design states no policy and nothing is required.",
    )
    analysis: Analysis = Field(default_factory=Analysis, description="Analysis settings.")

    # Convenience lookups used by every stage.
    @cached_property
    def _breakout_at(self) -> dict[str, str]:
        # The first breakout located at each site (design order), computed once.
        at: dict[str, str] = {}
        for name, b in self.breakouts.items():
            at.setdefault(b.site, name)
        return at

    def site_breakout(self, site: str) -> str | None:
        """The breakout a site's internet traffic leaves by (explicit, else the one at the site)."""
        explicit = self.sites[site].breakout
        if explicit is not None:
            return explicit
        return self._breakout_at.get(site)

    def site_resolver_egress(self, site: str) -> str | None:
        explicit = self.sites[site].resolver_egress
        return explicit if explicit is not None else self.site_breakout(site)
