"""ERP1xx: addressing of the Microsoft peering (peer subnets, peer ASN, VLAN)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from erplan.analyses.rules.registry import Context, Hit, Path, rule
from erplan.diagnostics import Severity
from erplan.facts import DEFAULT_ROUTE, duty, private_asn, reserved_asn, special_range
from erplan.model import Duty, Party

_LINKS = (("primary_subnet", "primary"), ("secondary_subnet", "secondary"))


@rule(
    code="ERP101",
    name="peer-subnet-missing",
    severity=Severity.ERROR,
    summary="A circuit lacks the primary or the secondary /30 of its Microsoft peering.",
    source="Guide 000 §6.1 (a second redundant link needs its own /30); Microsoft: "
    "ExpressRoute routing requirements, IP addresses for peerings [R-ROUTE] (FACTS.md §1.2)",
    fix="Give the circuit both `primary_subnet` and `secondary_subnet`: two public /30s "
    "(or one /29 split in two), customer on the first usable address, Microsoft on the second.",
)
def peer_subnet_missing(ctx: Context) -> Iterator[Hit]:
    """Every circuit has two links to two Microsoft routers at one peering location, and each
    link is a BGP session on its own /30. The Microsoft peering cannot be configured without
    both (`az network express-route peering create` requires `--primary-peer-subnet` and
    `--secondary-peer-subnet`), and the ExpressRoute SLA needs both sessions up. When the
    provider provides the public addresses (an any-to-any IPVPN, or `addressing.public_addresses:
    provider`), it assigns them and the design need not state them (guide 000 §5.1).
    """
    for name, c in ctx.design.circuits.items():
        if duty(c, Duty.PUBLIC_ADDRESSES) is Party.PROVIDER:
            continue  # the provider assigns the peering's addresses (guide 000 §5.1)
        for attr, link in _LINKS:
            if getattr(c, attr) is None:
                yield Hit(
                    f"circuit {name} has no {link} peer subnet ({attr}); the Microsoft peering "
                    "needs a /30 for each of its two links",
                    ("circuits", name),
                    (("circuits", name),),
                    key=True,
                )


@rule(
    code="ERP102",
    name="peer-subnet-not-30",
    severity=Severity.ERROR,
    summary="A peer subnet of the Microsoft peering is not a /30.",
    source="Microsoft: ExpressRoute routing requirements, IP addresses for Microsoft peering "
    "[R-ROUTE] (FACTS.md §1.2)",
    fix="Use exactly a /30 per link (a /29 may be split into the two /30s).",
)
def peer_subnet_not_30(ctx: Context) -> Iterator[Hit]:
    """Microsoft takes the first usable address of each /30 for the customer's router and the
    second for its own (MSEE). Any other prefix length is refused when the peering is created.
    """
    for name, c in ctx.design.circuits.items():
        for attr, link in _LINKS:
            net: IPv4Network | None = getattr(c, attr)
            if net is not None and net.prefixlen != 30:
                yield Hit(
                    f"the {link} peer subnet {net} of circuit {name} is a /{net.prefixlen}; "
                    "the Microsoft peering needs a /30",
                    ("circuits", name, attr),
                    (("circuits", name),),
                )


@rule(
    code="ERP103",
    name="peer-subnet-not-public",
    severity=Severity.ERROR,
    summary="A peer subnet of the Microsoft peering is not a public address range.",
    source="Guide 000 §5 (the BGP session requires public IPv4 addresses); Microsoft: "
    "ExpressRoute routing requirements [R-ROUTE][R-PEER] (FACTS.md §1.2)",
    fix="Use public /30s registered to you or to your provider in an RIR/IRR.",
)
def peer_subnet_not_public(ctx: Context) -> Iterator[Hit]:
    """The Microsoft peering lives in the global routing table of Microsoft's edge routers,
    without VRFs: its peer addresses must be public and owned by the customer or the provider,
    and Microsoft validates them against the routing registries.
    """
    for name, c in ctx.design.circuits.items():
        for attr, link in _LINKS:
            net: IPv4Network | None = getattr(c, attr)
            if net is None:
                continue
            why = special_range(net)
            if why is not None:
                yield Hit(
                    f"the {link} peer subnet {net} of circuit {name} is not public ({why})",
                    ("circuits", name, attr),
                    (("circuits", name),),
                )


def _other_uses(ctx: Context) -> Iterator[tuple[IPv4Network, str, tuple[str, str]]]:
    """Every other address block of the design: NAT pools and advertisements."""
    d = ctx.design
    for name, c in d.circuits.items():
        if c.snat_pool is not None:
            yield c.snat_pool, f"the SNAT pool of circuit {name}", ("circuits", name)
        if c.inbound_snat_pool is not None:
            what = f"the inbound SNAT pool of circuit {name}"
            yield c.inbound_snat_pool, what, ("circuits", name)
        for prefix in c.advertises:
            if prefix != DEFAULT_ROUTE:  # ERP202 reports it
                yield prefix, f"a prefix circuit {name} advertises to Microsoft", ("circuits", name)
    for name, b in d.breakouts.items():
        for nat in b.nat:
            yield nat, f"the internet NAT of breakout {name}", ("breakouts", name)
        for prefix in b.advertises:
            what = f"a prefix breakout {name} advertises to the internet"
            yield prefix, what, ("breakouts", name)
    for name, s in d.services.items():
        for entry, pool in s.inbound_snat.items():
            yield pool, f"the inbound SNAT pool of service {name} ({entry})", ("services", name)


@rule(
    code="ERP104",
    name="peer-subnet-overlap",
    severity=Severity.ERROR,
    summary="A peer subnet overlaps the other link's, another circuit's, a NAT pool or an "
    "advertised prefix.",
    source="Microsoft: ExpressRoute routing requirements — a unique /29 or two /30s per peering "
    "per circuit [R-ROUTE] (FACTS.md §1.2); guide 000 §6.3 (only the link's own /30 is "
    "advertised beside the NAT prefixes)",
    fix="Give each link its own /30, taken from a block used for nothing else.",
)
def peer_subnet_overlap(ctx: Context) -> Iterator[Hit]:
    """The two links of a circuit, and the links of different circuits, need distinct /30s.
    A /30 that overlaps a NAT pool or an advertised prefix makes addresses ambiguous: the same
    address would be a router interface and a NAT source or a server. The circuit may still
    advertise exactly its own /30s, as guide 000 §6.3 shows.
    """
    d = ctx.design
    links: list[tuple[str, str, str, IPv4Network]] = []
    for name, c in d.circuits.items():
        for attr, link in _LINKS:
            net: IPv4Network | None = getattr(c, attr)
            if net is not None:
                links.append((name, attr, link, net))
    for i, (name, attr, link, net) in enumerate(links):
        path: Path = ("circuits", name, attr)
        owners = (("circuits", name),)
        for other_name, _, other_link, other in links[:i]:
            if net.overlaps(other):
                whose = "its" if other_name == name else f"circuit {other_name}'s"
                yield Hit(
                    f"the {link} peer subnet {net} of circuit {name} overlaps {whose} "
                    f"{other_link} peer subnet {other}",
                    path,
                    owners,
                )
        own = {n for cn, _, _, n in links if cn == name}
        for block, what, owner in _other_uses(ctx):
            if owner == ("circuits", name) and block in own and what.startswith("a prefix"):
                continue  # advertising the link's own /30 is expected (guide 000 §6.3)
            if net.overlaps(block):
                yield Hit(
                    f"the {link} peer subnet {net} of circuit {name} overlaps {block}, {what}",
                    path,
                    (*owners, owner),
                )


@rule(
    code="ERP105",
    name="peer-asn-private",
    severity=Severity.WARNING,
    summary="The peer ASN of the Microsoft peering is private.",
    source="Guide 000 §5 (a public AS number is required); Microsoft: ExpressRoute routing "
    "requirements, optimize routing [R-ROUTE][R-OPT][R-CMP] (FACTS.md §1.3)",
    fix="Peer with a public ASN registered to you or to your provider.",
)
def peer_asn_private(ctx: Context) -> Iterator[Hit]:
    """Microsoft expects a public ASN on the Microsoft peering. A private one is accepted only
    after manual validation of the advertised prefixes (a support case), and Microsoft strips
    private ASNs from the AS path of the prefixes it learns there: AS-path prepending done with
    it has no effect, so it cannot steer Microsoft's return traffic between circuits.

    Who must own that ASN follows the circuit's connectivity model (guide 000 §5.1): a
    co-location or point-to-point customer peers with its own (or buys the service); an
    any-to-any IPVPN provider peers with its own on the customer's behalf, so a circuit whose
    ASN duty is the provider's (`connectivity: ipvpn`, or `addressing.asn: provider`) is not
    asked for one.
    """
    for name, c in ctx.design.circuits.items():
        owner = duty(c, Duty.ASN)
        if owner is Party.PROVIDER:
            continue  # the provider peers with its own public ASN (guide 000 §5.1)
        if private_asn(c.peer_asn):
            model = (
                f" ({c.connectivity.value}: the customer provides its own public ASN, or buys "
                "one as a provider service)"
                if owner is Party.CUSTOMER and c.connectivity is not None
                else ""
            )
            yield Hit(
                f"circuit {name} peers with private ASN {c.peer_asn}: the Microsoft peering "
                "then needs manual prefix validation, and prepending with it has no effect "
                f"(Microsoft strips private ASNs){model}",
                ("circuits", name, "peer_asn"),
                (("circuits", name),),
            )


@rule(
    code="ERP106",
    name="peer-asn-reserved",
    severity=Severity.ERROR,
    summary="The peer or prepend ASN is Microsoft's own or a reserved ASN.",
    source="Microsoft: ExpressRoute routing requirements (65515–65520 reserved, 64496–64511 "
    "not allowed in the AS path) [R-ROUTE][R-ISS]; Azure-reserved ASNs [R-ASN] (FACTS.md §1.3)",
    fix="Use your own public ASN; never 8074, 8075, 12076, 65515–65520, 23456, 64496–64511 or "
    "65535–65551.",
)
def peer_asn_reserved(ctx: Context) -> Iterator[Hit]:
    """Microsoft's side of the peering is AS 12076 and Azure uses 8074 and 8075; 65515–65520
    are reserved by Microsoft for internal use; AS_TRANS (23456), the documentation ASNs
    (64496–64511) and 65535–65551 are reserved by IANA and rejected by Azure's BGP features.
    A session or an AS path with one of them is refused or misrouted.
    """
    for name, c in ctx.design.circuits.items():
        for attr in ("peer_asn", "prepend_asn"):
            asn: int | None = getattr(c, attr)
            if asn is None:
                continue
            why = reserved_asn(asn)
            if why is not None:
                yield Hit(
                    f"circuit {name} uses ASN {asn} ({attr}), which is {why}",
                    ("circuits", name, attr),
                    (("circuits", name),),
                )


@rule(
    code="ERP107",
    name="vlan-missing",
    severity=Severity.ERROR,
    summary="A circuit has no VLAN ID for its Microsoft peering.",
    source="Microsoft: configure peering — one VLAN ID per peering, the same on both links "
    "[R-PEER][R-CLI] (FACTS.md §1.2)",
    fix="Set `vlan` to the 802.1Q VLAN ID agreed with the provider (1–4094), distinct from the "
    "circuit's private peering.",
)
def vlan_missing(ctx: Context) -> Iterator[Hit]:
    """Each peering of a circuit is carried on its own 802.1Q VLAN, the same ID on the primary
    and the secondary link; the Microsoft peering cannot be created without it (`--vlan-id`).
    """
    for name, c in ctx.design.circuits.items():
        if c.vlan is None:
            yield Hit(
                f"circuit {name} has no VLAN ID (vlan) for its Microsoft peering",
                ("circuits", name),
                (("circuits", name),),
                key=True,
            )


# Bandwidths a provider circuit is offered in, and ExpressRoute Direct's (FACTS.md §8).
CIRCUIT_BANDWIDTHS_MBPS = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 40000, 100000)


@rule(
    code="ERP108",
    name="bandwidth-not-offered",
    severity=Severity.WARNING,
    summary="A circuit's bandwidth is not one ExpressRoute offers.",
    source="Microsoft: circuits and peering, ExpressRoute Direct — provider circuits of 50, 100, "
    "200, 500 Mbps, 1, 2, 5, 10 Gbps; Direct circuits of 40 and 100 Gbps [R-CIRC][R-DIRECT] "
    "(FACTS.md §8)",
    fix="Use one of the offered bandwidths (the nearest above the load plus 20-50 % headroom).",
)
def bandwidth_not_offered(ctx: Context) -> Iterator[Hit]:
    """A circuit is bought in fixed sizes; a figure between them cannot be ordered, and a plan
    that counts on it (bandwidth headroom, failover load) is counting on a circuit that does not
    exist.
    """
    for name, c in ctx.design.circuits.items():
        if c.bandwidth_mbps not in CIRCUIT_BANDWIDTHS_MBPS:
            sizes = ", ".join(f"{b:,}" for b in CIRCUIT_BANDWIDTHS_MBPS)
            yield Hit(
                f"circuit {name} has a bandwidth of {c.bandwidth_mbps:,} Mbps; ExpressRoute offers "
                f"{sizes} Mbps",
                ("circuits", name, "bandwidth_mbps"),
                (("circuits", name),),
            )
