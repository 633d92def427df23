"""The sections of the design-format reference (``docs/design-format.md``): for each, its title,
its path in the file, its model type, what it is for, and a YAML example that the tests load.
Data only; ``erplan.design_format`` renders it."""

from __future__ import annotations

from pydantic import BaseModel

from erplan.model import (
    Addressing,
    Analysis,
    Breakout,
    Circuit,
    CircuitLink,
    Design,
    Device,
    DynamicsEnvironment,
    LatLon,
    PathPolicy,
    Proxy,
    SecurityPolicy,
    Server,
    Service,
    Site,
    Tenant,
    WanLink,
    Workload,
)

# (section title, YAML key as written, model, introduction, example). The examples are
# fragments of one design; tests load each of them.
SECTIONS: list[tuple[str, str, type[BaseModel], str, str]] = [
    (
        "Top level",
        "",
        Design,
        "The file is one YAML mapping. `erplan` comes first; `tenant` and `sites` are "
        "required, every other section may be left out.",
        """\
erplan: 1
name: Contoso - two circuits
description: US and EU offices, one circuit each.
""",
    ),
    (
        "tenant",
        "tenant",
        Tenant,
        "The Microsoft 365 tenant: where its data lives and which service areas users rely on, "
        "and its Dynamics 365 (CRM Online) environments with the prefixes of their regions "
        "(documentation prefixes here: use the ones obtained for each region).",
        """\
tenant:
  name: contoso
  geography: US
  services: [Exchange, SharePoint, Skype, Common]
  dynamics:
    East US:
      prefixes: [198.51.100.0/25]
    West Europe: {}  # no prefixes given: reached over the internet only
""",
    ),
    (
        "tenant.dynamics",
        "tenant.dynamics.REGION",
        DynamicsEnvironment,
        "A Dynamics 365 (CRM Online) environment of the tenant, by the Azure region hosting it "
        "(`erplan catalog dynamics`). Every site's users reach it at that region, whatever "
        "resolves the name. With prefixes and CRM Online in a circuit's route filter, its "
        "routes arrive over ExpressRoute tagged with 12076:5040 and the region's regional "
        "community, and a circuit's `region_preference` for the region sets their local "
        "preference ('cold potato', guide 000 §7.3.1); Microsoft 365 routes ignore it.",
        """\
tenant:
  geography: US
  dynamics:
    West Europe:
      prefixes: [203.0.113.0/25]
circuits:
  ams-er:
    peering_location: Amsterdam
    site: eu
    peer_asn: 394500
    route_filter: [Exchange, CRM Online]
    region_preference: {West Europe: 200}
    snat_pool: 20.2.2.8/29
    advertises: [20.2.2.8/29]
""",
    ),
    (
        "sites",
        "sites.NAME",
        Site,
        "Places where people or servers are, by name. A site's internet traffic leaves by its "
        "breakout; its DNS queries leave by its resolver egress, which decides the front end "
        "geoDNS answers with (guide 000 §3).",
        """\
sites:
  us:
    location: New York
    users: 5000
    prefixes: [10.1.0.0/16]
  eu:
    location: {lat: 52.37, lon: 4.9}
    users: 3000
    prefixes: [10.2.0.0/16]
    er_routes: true
    proxy:
      mode: pac
      address: proxy.eu.contoso.com:8080
""",
    ),
    (
        "sites.NAME.proxy",
        "sites.NAME.proxy",
        Proxy,
        "How a site's clients reach the web (guide 000 §2.2).",
        """\
    proxy:
      mode: all
      site: us
""",
    ),
    (
        "sites.NAME.location",
        "sites.NAME.location",
        LatLon,
        "A known city or peering location name (`erplan catalog places`), or coordinates.",
        """\
    location: {lat: 40.71, lon: -74.01}
""",
    ),
    (
        "wan",
        "wan[]",
        WanLink,
        "Links between sites: a list. Latency is round trip; the IGP cost decides hot-potato "
        "routing between circuits.",
        """\
wan:
  - between: [us, eu]
    latency_ms: 80
""",
    ),
    (
        "breakouts",
        "breakouts.NAME",
        Breakout,
        "Internet breakouts by name: where internet traffic leaves, behind which NAT address.",
        """\
breakouts:
  us-inet:
    site: us
    nat: [20.2.4.1/32]
    advertises: [20.2.4.0/24]
""",
    ),
    (
        "circuits",
        "circuits.NAME",
        Circuit,
        "ExpressRoute circuits with Microsoft peering, by name (guide 000 §4-§7, guide 001).",
        """\
circuits:
  us-er:
    peering_location: New York
    site: us
    peer_asn: 394500
    primary_subnet: 20.2.1.0/30
    secondary_subnet: 20.2.1.4/30
    vlan: 100
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29, 20.2.2.59/32]
    prepend:
      20.2.2.59/32: 2
""",
    ),
    (
        "circuits.NAME.addressing",
        "circuits.NAME.addressing",
        Addressing,
        "Who meets the addressing duties of the Microsoft peering (guide 000 §5.1): "
        "co-location and point-to-point customers provide their own NAT, public addresses and "
        "ASN (or buy them as a provider service); an any-to-any IPVPN provider meets them on "
        "the customer's behalf. Set a duty only where it differs from the `connectivity` "
        "model. See docs/security.md.",
        """\
    connectivity: point-to-point
    addressing:
      asn: provider        # a provider service: the customer owns no public ASN
""",
    ),
    (
        "circuits.NAME.links.LINK",
        "circuits.NAME.links.primary|secondary",
        CircuitLink,
        "Per-link configuration after the split into the primary and the secondary link: its "
        "own advertisements, pool, devices and state (design notes, 'Per link').",
        """\
    links:
      primary:
        snat_pool: 20.2.2.0/29
        advertises: [20.2.2.0/29]
        devices: [fw-us-primary]
      secondary:
        snat_pool: 20.2.2.8/29
        advertises: [20.2.2.8/29]
        devices: [fw-us-secondary]
""",
    ),
    (
        "services",
        "services.NAME",
        Service,
        "On-premises services that Microsoft 365 connects to (hybrid): each is an inbound "
        "flow (guide 000 §6, guide 001 inbound rules).",
        """\
services:
  exchange-hybrid:
    fqdn: mail.contoso.com
    dns_record: 20.2.2.59
    public_address: 20.2.2.59
    internal_address: 172.16.1.63
    site: us
    entry: [us-er]
    inbound_snat:
      us-er: 10.255.1.0/28
    initiator: Exchange
""",
    ),
    (
        "devices",
        "devices.NAME",
        Device,
        "Stateful devices by name. Sites, breakouts and circuits list the devices their flows "
        "cross; a return path that meets a stateful device the forward path did not cross is "
        "dropped.",
        """\
devices:
  fw-us-er:
    kind: firewall
    site: us
""",
    ),
    (
        "servers",
        "servers.NAME",
        Server,
        "On-premises hosts that open connections to Microsoft 365 themselves (guide 001: "
        "outbound flows are 'initiated from your on-premises environment, such as from internal "
        "clients or servers'): each is an outbound flow per endpoint set it connects to.",
        """\
servers:
  exchange-onprem:
    site: us
    address: 10.1.5.10
    connects_to: [Exchange]
""",
    ),
    (
        "workloads",
        "workloads.NAME",
        Workload,
        "Workload profiles: the bandwidth one user needs per Microsoft 365 workload at the busy "
        "hour, for `erplan bandwidth` and the load after a failure. A site names its profile "
        "(`workload: engineering`); a profile named `default` applies to the others; without "
        "it, the built-in defaults below (planning figures to replace with a pilot's "
        "measurements, guide 001).",
        """\
workloads:
  default:
    teams_kbps: 150
  engineering:
    exchange_kbps: 30
    sharepoint_kbps: 120
    teams_kbps: 200
""",
    ),
    (
        "security",
        "security",
        SecurityPolicy,
        "Which paths and directions require which controls (guide 001 'Applying security "
        "controls to Azure ExpressRoute for Microsoft 365 scenarios'). Devices say what they "
        "are for (`purpose`) and which directions they inspect (`inspects`); erplan checks "
        "every traced path, there and back, against this policy (rules ERP730-ERP735, "
        "docs/security.md). Without the section nothing is required; `security: {}` applies "
        "the defaults.",
        """\
security:
  expressroute:
    outbound: [firewall]
    inbound: [firewall, ips]
  internet:
    outbound: [firewall, proxy]
  locations: [us]
""",
    ),
    (
        "security.expressroute, security.internet",
        "security.expressroute|internet",
        PathPolicy,
        "The controls each direction of a kind of path must cross: `outbound` for "
        "connections opened on premises (to Microsoft, or to the internet), `inbound` for "
        "connections opened towards an on-premises service.",
        """\
security:
  internet:
    outbound: [firewall, proxy]
    inbound: [firewall]
""",
    ),
    (
        "analysis",
        "analysis",
        Analysis,
        "Thresholds and estimates used by the analyses. All optional.",
        """\
analysis:
  suboptimal_ms: 25
  suboptimal_ratio: 1.5
""",
    ),
]

SILENCE_EXAMPLE = """\
circuits:
  eu-er:
    silence:
      ERP107: the provider assigns the VLAN at provisioning
"""

MINIMAL = """\
erplan: 1
tenant:
  geography: US
sites:
  hq:
    location: New York
    users: 200
"""
