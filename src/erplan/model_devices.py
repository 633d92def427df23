"""The devices and hosts of a design: stateful boxes on the paths (firewalls, NAT devices,
proxies, ...) and on-premises servers that open connections themselves. Part of the design model
(``erplan.model`` re-exports these types); kept apart so that each module stays small. No I/O.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address

from pydantic import Field

from erplan.model_base import Frozen as _Frozen
from erplan.model_base import Silence
from erplan.model_security import Inspects, Party, Purpose


class DeviceKind(StrEnum):
    FIREWALL = "firewall"
    NAT = "nat"
    PROXY = "proxy"
    IDS = "ids"
    ROUTER = "router"
    LOAD_BALANCER = "load-balancer"


class Device(_Frozen):
    kind: DeviceKind = Field(
        default=DeviceKind.FIREWALL,
        description="What the device is. A device of kind nat performs the address translation "
        "of the path it stands on (the pool, the destination-NAT mappings and the inbound source "
        "NAT of its circuit, link or breakout) instead of the edge router.",
    )
    site: str = Field(description="The site where the device stands.")
    stateful: bool = Field(
        default=True,
        description="A stateful device records a session for each connection it sees start and "
        "drops later packets of connections it holds no session for; a reply that bypasses it "
        "breaks the connection too.",
    )
    static_nat: bool = Field(
        default=False,
        description="For a device of kind nat: its destination-NAT mappings are stateless "
        "one-to-one static NAT, applied both ways to every packet whatever path the connection "
        "took; it keeps no sessions, so it cannot translate into a pool.",
    )
    up: bool = Field(default=True, description="Set false to study the design with it down.")
    address: IPv4Address | None = Field(
        default=None,
        description="For a proxy: the address it listens on and connects from (in its site's "
        "prefixes).",
    )
    port: int = Field(default=8080, ge=1, le=65535, description="For a proxy: its listening port.")
    egress: str | None = Field(
        default=None,
        description="For a proxy: the breakout its connections and DNS queries leave by, or "
        "'cloud' for a cloud proxy service reached over the internet. Default: its site's "
        "breakout.",
    )
    upstream: str | None = Field(
        default=None, description="For a proxy: the proxy it forwards to (a proxy chain)."
    )
    purpose: list[Purpose] | None = Field(
        default=None,
        description="What the device is for: firewall, proxy, ids, ips, dlp (guide 001 "
        "'Applying security controls'). Default: its kind's (a firewall: firewall, a proxy: "
        "proxy, an ids: ids; others none).",
    )
    inspects: list[Inspects] = Field(
        default_factory=lambda: list(Inspects),
        description="The directions it applies its controls to: outbound-microsoft, "
        "inbound-microsoft, outbound-internet, inbound-internet (guide 001: they usually "
        "differ). Default: every direction crossing it.",
    )
    ssl_inspection: bool = Field(
        default=False,
        description="It decrypts and inspects TLS (or scans as heavily): guide 001 names it "
        "among what to remove when latency suffers.",
    )
    managed_by: Party = Field(
        default=Party.CUSTOMER,
        description="Who runs it: the customer, or the provider (a managed NAT or firewall "
        "offered with the circuit, which stands on the provider's side of the circuit).",
    )
    silence: Silence


class Server(_Frozen):
    """An on-premises host that opens connections to Microsoft 365 (hybrid mail to Exchange
    Online Protection, directory synchronisation, backup to OneDrive): outbound flows."""

    site: str = Field(description="The site the server stands at.")
    address: IPv4Address = Field(description="Its address (in its site's prefixes).")
    connects_to: list[str] = Field(
        description="What it connects to: service areas (Exchange, SharePoint, Skype, Common), "
        "endpoint set ids, or host names of the endpoint catalog."
    )
    silence: Silence
