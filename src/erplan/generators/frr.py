"""FRR configuration of a circuit's customer edge (one integrated ``frr.conf``), checked by FRR's
own parser (``vtysh --dryrun -f``).

Only typed values reach the text (addresses, prefixes, integers, ``ASN:value`` communities);
names are identifiers (``safe.ident``) or comments (``safe.comment``). The translations are in
the nftables ruleset beside it (``nft.py``), which shares the interface names below.
"""

from __future__ import annotations

from erplan.generators.edge import CircuitEdge, Session
from erplan.generators.safe import comment
from erplan.model import LinkName

# Linux interface names the FRR and nftables files share: rename them to the router's.
INSIDE = "eth0"
LINK_PORT = {LinkName.PRIMARY: "eth1", LinkName.SECONDARY: "eth2"}
MICROSOFT_ASN = 12076
SERVICES_LIST = "ER-SERVICES"
INSIDE_POOLS = "ER-INSIDE-POOLS"
INSIDE_GROUP = "INSIDE"
# Routes learned from Microsoft stay inside the customer's network (FACTS §2: not for re-export).
NO_EXPORT = "no-export"
# The anchor routes for originated prefixes lose to any inside route for the same prefix.
ANCHOR_DISTANCE = 254
# Retry a session that could not open every 5 s instead of FRR's 120: bgpd may try before the
# link is up (at boot, after a link flap) and would then leave the circuit down for two minutes.
CONNECT_RETRY_S = 5


def link_interface(session: Session) -> str:
    return f"{LINK_PORT[session.link]}.{session.vlan}"


def out_map(session: Session) -> str:
    return f"ER-OUT-{session.link.value.upper()}"


def advertise_list(session: Session) -> str:
    return f"ER-ADVERTISE-{session.link.value.upper()}"


def prepend_list(session: Session, k: int) -> str:
    return f"ER-PREPEND-{session.link.value.upper()}-{k}"


def header(edge: CircuitEdge, design_file: str, what: str, mark: str) -> list[str]:
    """The comment block every dialect starts with: what, from where, what is not here."""
    lines = [
        f"erplan generate {what}: customer edge of circuit {comment(edge.circuit)}",
        f"design: {comment(design_file)}; peering location {comment(edge.peering_location)}; "
        f"site {comment(edge.site)}",
        "Microsoft peering: primary and secondary link, each an eBGP session to a Microsoft "
        "edge (AS 12076)",
        f"route filter admits: {', '.join(f'{comment(s)} {c}' for s, c in edge.services)}",
        "ExpressRoute routes propagated inside to: "
        + (", ".join(map(comment, edge.scope)) or "none"),
    ]
    for region, community, pref in edge.region_preference:
        lines.append(
            f"cold potato: local preference {pref} for {comment(region)} ({community}), the "
            "regional community of Dynamics 365 prefixes (Microsoft 365 prefixes carry none)"
        )
    if edge.out_of_scope:
        lines.append(
            "not propagated to (er_routes: false): "
            + ", ".join(map(comment, edge.out_of_scope))
            + " - leave their routers out of the INSIDE group"
        )
    for where, dev, kind in edge.devices:
        lines.append(f"device on the {where} path, not configured here: {comment(dev)} ({kind})")
    for dev in edge.nat_devices():
        lines.append(f"translations performed by device {comment(dev)}, not by this router")
    for dev in edge.provider_devices:
        lines.append(f"device {comment(dev)} is the provider's: ask the provider for its settings")
    if edge.provider_peers:
        lines.append(
            "the provider peers with Microsoft with its own ASN on your behalf (any-to-any "
            "IPVPN, guide 000 section 5.1): this is what its edge must do"
        )
    lines.append(
        "BGP shared key (MD5): set the same key on both sessions and on the peering, if any"
    )
    return [f"{mark} {line}".rstrip() for line in lines]


def _prefix_lists(edge: CircuitEdge) -> list[str]:
    out: list[str] = []
    for s in edge.sessions:
        for k, (prefix, _) in enumerate(s.prepends, start=1):
            out.append(f"ip prefix-list {prepend_list(s, k)} seq 5 permit {prefix}")
        name = advertise_list(s)
        if not s.advertises:
            out.append(f"ip prefix-list {name} seq 5 deny any")
        for i, prefix in enumerate(s.advertises, start=1):
            out.append(f"ip prefix-list {name} seq {5 * i} permit {prefix}")
    for i, prefix in enumerate(edge.inside_pools, start=1):
        out.append(f"ip prefix-list {INSIDE_POOLS} seq {5 * i} permit {prefix}")
    return out


def region_list(i: int) -> str:
    """The community list of the ``i``-th region a circuit prefers (cold potato)."""
    return f"ER-REGION-{i}"


def _route_maps(edge: CircuitEdge) -> list[str]:
    out: list[str] = []
    for i, community in enumerate(edge.communities, start=1):
        out.append(f"bgp community-list standard {SERVICES_LIST} seq {5 * i} permit {community}")
    # A line with two communities matches a route carrying both: the preferred region's and an
    # admitted service's, so a regional community alone is never accepted.
    for i, (_, community, _) in enumerate(edge.region_preference, start=1):
        for j, service in enumerate(edge.communities, start=1):
            out.append(
                f"bgp community-list standard {region_list(i)} seq {5 * j} permit "
                f"{community} {service}"
            )
    out.append("!")
    # Routes tagged with a preferred region's community first (guide 000 §7.3.1): only
    # Dynamics 365 prefixes carry one; Microsoft 365 prefixes fall through to the services.
    for i, (_, _, pref) in enumerate(edge.region_preference, start=1):
        out += [
            f"route-map ER-IN permit {10 * i}",
            f" match community {region_list(i)}",
            f" set local-preference {pref}",
            f" set community {NO_EXPORT} additive",
            "exit",
        ]
    out += [
        f"route-map ER-IN permit {10 * (len(edge.region_preference) + 1)}",
        f" match community {SERVICES_LIST}",
        f" set local-preference {edge.local_preference}",
        f" set community {NO_EXPORT} additive",
        "exit",
        "route-map ER-IN deny 1000",
        "exit",
    ]
    for s in edge.sessions:
        for k, (_, count) in enumerate(s.prepends, start=1):
            out += [
                f"route-map {out_map(s)} permit {10 * k}",
                f" match ip address prefix-list {prepend_list(s, k)}",
                f" set as-path prepend {' '.join([str(edge.prepend_asn)] * count)}",
                "exit",
            ]
        out += [
            f"route-map {out_map(s)} permit 900",
            f" match ip address prefix-list {advertise_list(s)}",
            "exit",
            f"route-map {out_map(s)} deny 1000",
            "exit",
        ]
    out += [
        "route-map ER-TO-INSIDE permit 10",
        f" match community {SERVICES_LIST}",
        "exit",
    ]
    if edge.inside_pools:
        out += [
            "route-map ER-TO-INSIDE permit 20",
            f" match ip address prefix-list {INSIDE_POOLS}",
            "exit",
        ]
    out += [
        "route-map ER-TO-INSIDE deny 1000",
        "exit",
    ]
    return out


def _anchors(edge: CircuitEdge) -> list[str]:
    return [f"ip route {p} {via or 'blackhole'} {ANCHOR_DISTANCE}" for p, via in edge.anchors()]


def render(edge: CircuitEdge, design_file: str) -> str:
    lines = header(edge, design_file, "frr", "!")
    lines.append(
        f"! interfaces: {INSIDE} inside, "
        + ", ".join(f"{link_interface(s)} {s.link.value} link" for s in edge.sessions)
    )
    lines += [
        "!",
        "frr defaults traditional",
        f"hostname ce-{edge.ident}",
        "service integrated-vtysh-config",
        "!",
    ]
    for s in edge.sessions:
        lines += [
            f"interface {link_interface(s)}",
            f" description ExpressRoute {edge.ident} {s.link.value} link, VLAN {s.vlan}",
            f" ip address {s.local}/{s.subnet.prefixlen}",
            "exit",
            "!",
        ]
    lines.append("! Anchors: the advertised prefixes need a route to be originated.")
    if edge.inside_pools:
        lines.append(
            "! So do the inbound NAT pools, announced inside only (replies come back here)."
        )
    if any(via for _, via in edge.anchors()):
        lines.append("! A host inside a site's prefix hangs on that prefix's inside route.")
    lines += _anchors(edge)
    lines.append("!")
    lines += _prefix_lists(edge)
    lines.append("!")
    lines += _route_maps(edge)
    lines += ["!", f"router bgp {edge.asn}", f" bgp router-id {edge.sessions[0].local}"]
    lines.append(" no bgp default ipv4-unicast")
    for s in edge.sessions:
        lines += [
            f" neighbor {s.peer} remote-as {MICROSOFT_ASN}",
            f" neighbor {s.peer} description MSEE {s.link.value} {edge.ident}",
            f" ! neighbor {s.peer} password SHARED-KEY",
            f" neighbor {s.peer} timers connect {CONNECT_RETRY_S}",
        ]
    lines += [
        f" neighbor {INSIDE_GROUP} peer-group",
        f" neighbor {INSIDE_GROUP} remote-as {edge.asn}",
        " !",
        " address-family ipv4 unicast",
    ]
    lines += [f"  network {p}" for p in edge.networks + edge.inside_pools]
    for s in edge.sessions:
        lines += [
            f"  neighbor {s.peer} activate",
            f"  neighbor {s.peer} send-community",
            f"  neighbor {s.peer} soft-reconfiguration inbound",
            f"  neighbor {s.peer} route-map ER-IN in",
            f"  neighbor {s.peer} route-map {out_map(s)} out",
        ]
    lines += [
        f"  neighbor {INSIDE_GROUP} activate",
        f"  neighbor {INSIDE_GROUP} next-hop-self",
        f"  neighbor {INSIDE_GROUP} route-map ER-TO-INSIDE out",
        # Microsoft balances over both links; the customer side does the same.
        f"  maximum-paths {len(edge.sessions)}",
        " exit-address-family",
        "exit",
        "!",
    ]
    return "\n".join(lines) + "\n"
