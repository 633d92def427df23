"""Cisco IOS-XE configuration of a circuit's customer edge: the same sessions, prefix lists,
community lists, route maps and translations as the FRR and nftables files (tests parse it back
with ciscoconfparse2 and compare). Only typed values reach the text; names are identifiers.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from erplan.generators.edge import CircuitEdge, Session
from erplan.generators.frr import (
    ANCHOR_DISTANCE,
    INSIDE_GROUP,
    INSIDE_POOLS,
    MICROSOFT_ASN,
    SERVICES_LIST,
    advertise_list,
    header,
    out_map,
    prepend_list,
    region_list,
)
from erplan.model import LinkName

INSIDE = "GigabitEthernet0/0/0"
LINK_PORT = {LinkName.PRIMARY: "GigabitEthernet0/0/1", LinkName.SECONDARY: "GigabitEthernet0/0/2"}


def link_interface(s: Session) -> str:
    return f"{LINK_PORT[s.link]}.{s.vlan}"


def _net(p: IPv4Network) -> str:
    return f"{p.network_address} {p.netmask}"


def _wild(p: IPv4Network) -> str:
    return f"{p.network_address} {p.hostmask}"


def _pool(name: str, p: IPv4Network) -> str:
    return (
        f"ip nat pool {name} {p.network_address} {p.broadcast_address} prefix-length {p.prefixlen}"
    )


def _nat(edge: CircuitEdge) -> list[str]:
    out: list[str] = []
    for k, n in enumerate(edge.router_snat(), start=1):
        sessions = [s for s in edge.sessions if s.link in n.links]
        acl = f"ER-NAT-SOURCES-{k}"
        out.append(f"ip access-list extended {acl}")
        # The router's own BGP sessions keep their addresses.
        out += [f" deny ip {_wild(s.subnet)} any" for s in edge.sessions]
        out += [" permit ip any any", "!"]
        out.append(_pool(f"ER-POOL-{k}", n.pool))
        out += [
            f"route-map ER-NAT-{k} permit 10",
            f" match ip address {acl}",
            f" match interface {' '.join(link_interface(s) for s in sessions)}",
            "!",
            f"ip nat inside source route-map ER-NAT-{k} pool ER-POOL-{k} overload",
        ]
    for d in edge.router_dnat():
        for port in d.ports:
            out.append(
                f"ip nat inside source static tcp {d.internal} {port} {d.public} {port} extendable"
            )
    for k, s in enumerate(edge.router_inbound_snat(), start=1):
        publics = [
            d.public for d in edge.router_dnat() if d.internal == s.dest and d.service == s.service
        ]
        target = publics[0] if publics else s.dest
        acl = f"ER-IN-SNAT-{k}"
        out.append(f"ip access-list extended {acl}")
        # Outside NAT runs before destination NAT: the connection is still to the public address.
        out += [f" permit tcp any host {target} eq {port}" for port in s.ports]
        out.append(_pool(f"ER-IN-POOL-{k}", s.pool))
        out.append(f"ip nat outside source list {acl} pool ER-IN-POOL-{k} add-route")
    return out


def render(edge: CircuitEdge, design_file: str) -> str:
    translates = bool(edge.router_snat() or edge.router_dnat() or edge.router_inbound_snat())
    lines = header(edge, design_file, "ios-xe", "!")
    lines.append(
        f"! interfaces: {INSIDE} inside, "
        + ", ".join(f"{link_interface(s)} {s.link.value} link" for s in edge.sessions)
    )
    lines += ["!", f"hostname ce-{edge.ident}", "ip bgp-community new-format", "!"]
    lines += [f"interface {INSIDE}", " description inside"]
    if translates:
        lines.append(" ip nat inside")
    lines.append("!")
    for s in edge.sessions:
        lines += [
            f"interface {link_interface(s)}",
            f" description ExpressRoute {edge.ident} {s.link.value} link, VLAN {s.vlan}",
            f" encapsulation dot1Q {s.vlan}",
            f" ip address {s.local} {s.subnet.netmask}",
        ]
        if translates:
            lines.append(" ip nat outside")
        lines.append("!")
    anchored = edge.networks + edge.inside_pools
    lines += [f"ip route {_net(p)} {via or 'Null0'} {ANCHOR_DISTANCE}" for p, via in edge.anchors()]
    lines.append("!")
    for s in edge.sessions:
        for k, (prefix, _) in enumerate(s.prepends, start=1):
            lines.append(f"ip prefix-list {prepend_list(s, k)} seq 5 permit {prefix}")
        if not s.advertises:
            lines.append(f"ip prefix-list {advertise_list(s)} seq 5 deny 0.0.0.0/0 le 32")
        for i, prefix in enumerate(s.advertises, start=1):
            lines.append(f"ip prefix-list {advertise_list(s)} seq {5 * i} permit {prefix}")
    for i, prefix in enumerate(edge.inside_pools, start=1):
        lines.append(f"ip prefix-list {INSIDE_POOLS} seq {5 * i} permit {prefix}")
    lines.append("!")
    lines += [f"ip community-list standard {SERVICES_LIST} permit {c}" for c in edge.communities]
    regions = edge.region_preference
    for i, (_, community, _) in enumerate(regions, start=1):  # both: region and service
        lines += [
            f"ip community-list standard {region_list(i)} permit {community} {service}"
            for service in edge.communities
        ]
    lines.append("!")
    for i, (_, _, pref) in enumerate(regions, start=1):  # cold potato first (guide 000 §7.3.1)
        lines += [
            f"route-map ER-IN permit {10 * i}",
            f" match community {region_list(i)}",
            f" set local-preference {pref}",
            " set community no-export additive",
        ]
    lines += [
        f"route-map ER-IN permit {10 * (len(regions) + 1)}",
        f" match community {SERVICES_LIST}",
        f" set local-preference {edge.local_preference}",
        " set community no-export additive",
        "route-map ER-IN deny 1000",
    ]
    for s in edge.sessions:
        for k, (_, count) in enumerate(s.prepends, start=1):
            lines += [
                f"route-map {out_map(s)} permit {10 * k}",
                f" match ip address prefix-list {prepend_list(s, k)}",
                f" set as-path prepend {' '.join([str(edge.prepend_asn)] * count)}",
            ]
        lines += [
            f"route-map {out_map(s)} permit 900",
            f" match ip address prefix-list {advertise_list(s)}",
            f"route-map {out_map(s)} deny 1000",
        ]
    lines += [
        "route-map ER-TO-INSIDE permit 10",
        f" match community {SERVICES_LIST}",
    ]
    if edge.inside_pools:
        lines += [
            "route-map ER-TO-INSIDE permit 20",
            f" match ip address prefix-list {INSIDE_POOLS}",
        ]
    lines += [
        "route-map ER-TO-INSIDE deny 1000",
        "!",
        f"router bgp {edge.asn}",
        f" bgp router-id {edge.sessions[0].local}",
        " bgp log-neighbor-changes",
        " no bgp default ipv4-unicast",
    ]
    for s in edge.sessions:
        lines += [
            f" neighbor {s.peer} remote-as {MICROSOFT_ASN}",
            f" neighbor {s.peer} description MSEE {s.link.value} {edge.ident}",
        ]
    lines += [
        f" neighbor {INSIDE_GROUP} peer-group",
        f" neighbor {INSIDE_GROUP} remote-as {edge.asn}",
    ]
    lines.append(" address-family ipv4")
    lines += [f"  network {_net(p)}" for p in anchored]
    for s in edge.sessions:
        lines += [
            f"  neighbor {s.peer} activate",
            f"  neighbor {s.peer} send-community both",
            f"  neighbor {s.peer} soft-reconfiguration inbound",
            f"  neighbor {s.peer} route-map ER-IN in",
            f"  neighbor {s.peer} route-map {out_map(s)} out",
        ]
    lines += [
        f"  neighbor {INSIDE_GROUP} activate",
        f"  neighbor {INSIDE_GROUP} next-hop-self",
        f"  neighbor {INSIDE_GROUP} route-map ER-TO-INSIDE out",
        f"  maximum-paths {len(edge.sessions)}",
        " exit-address-family",
        "!",
    ]
    lines += _nat(edge)
    lines += ["!", "end"]
    return "\n".join(lines) + "\n"
