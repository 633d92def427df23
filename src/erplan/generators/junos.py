"""Junos configuration (curly-brace form, SRX security NAT) of a circuit's customer edge: the
same sessions, prefix lists, communities, policies and translations as the FRR and nftables
files. Tests validate it against the Junos schema (junoscfg) and compare its set form with
the FRR output. Only typed values reach the text; names are identifiers.
"""

from __future__ import annotations

from erplan.generators.edge import CircuitEdge, Session
from erplan.generators.frr import (
    ANCHOR_DISTANCE,
    INSIDE_GROUP,
    INSIDE_POOLS,
    MICROSOFT_ASN,
    advertise_list,
    header,
    out_map,
    prepend_list,
)
from erplan.model import LinkName

INSIDE = "ge-0/0/0"
LINK_PORT = {LinkName.PRIMARY: "ge-0/0/1", LinkName.SECONDARY: "ge-0/0/2"}
ER_ZONE = "expressroute"
IN_ZONE = "inside"


def link_unit(s: Session) -> str:
    return f"{LINK_PORT[s.link]}.{s.vlan}"


def community_name(community: str) -> str:
    return "ER-SVC-" + community.replace(":", "-")


def region_name(community: str, service: str) -> str:
    return f"ER-REGION-{community.replace(':', '-')}-{service.replace(':', '-')}"


class _Tree:
    """Curly-brace text, indented four spaces per level."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def open(self, head: str) -> None:
        self.lines.append("    " * self.depth + head + " {")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.lines.append("    " * self.depth + "}")

    def leaf(self, text: str) -> None:
        self.lines.append("    " * self.depth + text + ";")


def _policies(t: _Tree, edge: CircuitEdge) -> None:
    names = " ".join(community_name(c) for c in edge.communities)
    t.open("policy-options")
    for s in edge.sessions:
        for k, (prefix, _) in enumerate(s.prepends, start=1):
            t.open(f"prefix-list {prepend_list(s, k)}")
            t.leaf(str(prefix))
            t.close()
        t.open(f"prefix-list {advertise_list(s)}")
        for prefix in s.advertises:
            t.leaf(str(prefix))
        t.close()
    if edge.inside_pools:
        t.open(f"prefix-list {INSIDE_POOLS}")
        for prefix in edge.inside_pools:
            t.leaf(str(prefix))
        t.close()
    # One community per value: a Junos community with several members matches only all of them.
    for c in edge.communities:
        t.leaf(f"community {community_name(c)} members {c}")
    # A preferred region's community counts beside an admitted service's only: one community
    # per pair, whose two members must both be on the route.
    for _, c, _ in edge.region_preference:
        for service in edge.communities:
            t.leaf(f"community {region_name(c, service)} members [ {c} {service} ]")
    t.leaf("community NO-EXPORT members no-export")
    t.open("policy-statement ER-IN")
    # Cold potato first (guide 000 §7.3.1): only Dynamics 365 prefixes carry a regional one.
    for i, (_, c, pref) in enumerate(edge.region_preference, start=1):
        t.open(f"term region-{i}")
        pairs = " ".join(region_name(c, service) for service in edge.communities)
        t.leaf(f"from community [ {pairs} ]")
        t.open("then")
        t.leaf(f"local-preference {pref}")
        t.leaf("community add NO-EXPORT")
        t.leaf("accept")
        t.close()
        t.close()
    t.open("term services")
    t.leaf(f"from community [ {names} ]")
    t.open("then")
    t.leaf(f"local-preference {edge.local_preference}")
    t.leaf("community add NO-EXPORT")
    t.leaf("accept")
    t.close()
    t.close()
    t.open("term other")
    t.leaf("then reject")
    t.close()
    t.close()
    for s in edge.sessions:
        t.open(f"policy-statement {out_map(s)}")
        for k, (_, count) in enumerate(s.prepends, start=1):
            t.open(f"term prepend-{k}")
            t.leaf(f"from prefix-list {prepend_list(s, k)}")
            t.open("then")
            t.leaf(f'as-path-prepend "{" ".join([str(edge.prepend_asn)] * count)}"')
            t.leaf("accept")
            t.close()
            t.close()
        if s.advertises:
            t.open("term advertise")
            t.leaf(f"from prefix-list {advertise_list(s)}")
            t.leaf("then accept")
            t.close()
        t.open("term other")
        t.leaf("then reject")
        t.close()
        t.close()
    t.open("policy-statement ER-TO-INSIDE")
    t.open("term services")
    t.leaf(f"from community [ {names} ]")
    t.open("then")
    t.leaf("next-hop self")
    t.leaf("accept")
    t.close()
    t.close()
    if edge.inside_pools:
        # Inbound NAT pools: the servers' replies must come back to this router.
        t.open("term inbound-pools")
        t.leaf(f"from prefix-list {INSIDE_POOLS}")
        t.open("then")
        t.leaf("next-hop self")
        t.leaf("accept")
        t.close()
        t.close()
    t.open("term other")
    t.leaf("then reject")
    t.close()
    t.close()
    t.close()


def _nat(t: _Tree, edge: CircuitEdge) -> None:
    snat, dnat, inbound = edge.router_snat(), edge.router_dnat(), edge.router_inbound_snat()
    t.open("security")
    t.open("nat")
    if snat or inbound:
        t.open("source")
        for k, n in enumerate(snat, start=1):
            t.open(f"pool ER-POOL-{k}")
            t.leaf(f"address {n.pool}")
            t.close()
        for k, s in enumerate(inbound, start=1):
            t.open(f"pool ER-IN-POOL-{k}")
            t.leaf(f"address {s.pool}")
            t.close()
        for k, n in enumerate(snat, start=1):
            t.open(f"rule-set ER-OUT-{k}")
            t.leaf(f"from zone {IN_ZONE}")
            units = " ".join(link_unit(s) for s in edge.sessions if s.link in n.links)
            t.leaf(f"to interface [ {units} ]")
            t.open(f"rule snat-{k}")
            t.leaf("match source-address 0.0.0.0/0")
            t.leaf(f"then source-nat pool ER-POOL-{k}")
            t.close()
            t.close()
        if inbound:
            t.open("rule-set ER-IN-SNAT")
            t.leaf(f"from zone {ER_ZONE}")
            t.leaf(f"to zone {IN_ZONE}")
            for k, s in enumerate(inbound, start=1):
                # Source NAT runs after destination NAT: the internal address is matched.
                t.open(f"rule in-snat-{k}")
                t.open("match")
                t.leaf(f"destination-address {s.dest}/32")
                t.leaf(f"destination-port [ {' '.join(map(str, s.ports))} ]")
                t.close()
                t.leaf(f"then source-nat pool ER-IN-POOL-{k}")
                t.close()
            t.close()
        t.close()
    if dnat:
        t.open("destination")
        for k, d in enumerate(dnat, start=1):
            t.open(f"pool SVC-{k}")
            t.leaf(f"address {d.internal}/32")
            t.close()
        t.open("rule-set ER-DNAT")
        t.leaf(f"from zone {ER_ZONE}")
        for k, d in enumerate(dnat, start=1):
            t.open(f"rule dnat-{k}")
            t.open("match")
            t.leaf(f"destination-address {d.public}/32")
            t.leaf(f"destination-port [ {' '.join(map(str, d.ports))} ]")
            t.close()
            t.leaf(f"then destination-nat pool SVC-{k}")
            t.close()
        t.close()
        t.close()
    t.close()
    t.open("zones")
    t.open(f"security-zone {IN_ZONE}")
    t.leaf(f"interfaces {INSIDE}.0")
    t.close()
    t.open(f"security-zone {ER_ZONE}")
    t.open("interfaces")
    for sess in edge.sessions:
        t.open(link_unit(sess))
        t.leaf("host-inbound-traffic protocols bgp")
        t.close()
    t.close()
    t.close()
    t.close()
    t.close()


def render(edge: CircuitEdge, design_file: str) -> str:
    t = _Tree()
    t.lines += header(edge, design_file, "junos", "#")
    t.open("system")
    t.leaf(f"host-name ce-{edge.ident}")
    t.close()
    t.open("interfaces")
    for s in edge.sessions:
        t.open(LINK_PORT[s.link])
        t.leaf("vlan-tagging")
        t.open(f"unit {s.vlan}")
        t.leaf(f'description "ExpressRoute {edge.ident} {s.link.value} link"')
        t.leaf(f"vlan-id {s.vlan}")
        t.leaf(f"family inet address {s.local}/{s.subnet.prefixlen}")
        t.close()
        t.close()
    t.close()
    t.open("routing-options")
    t.leaf(f"autonomous-system {edge.asn}")
    t.leaf(f"router-id {edge.sessions[0].local}")
    t.open("static")
    for p, via in edge.anchors():
        t.open(f"route {p}")
        if via is None:
            t.leaf("discard")
        else:
            t.leaf(f"next-hop {via}")
            t.leaf("resolve")
        t.leaf(f"preference {ANCHOR_DISTANCE}")
        t.close()
    t.close()
    t.close()
    _policies(t, edge)
    t.open("protocols")
    t.open("bgp")
    t.open("group EXPRESSROUTE")
    t.leaf("type external")
    t.leaf(f"peer-as {MICROSOFT_ASN}")
    t.leaf("import ER-IN")
    t.leaf("multipath")
    for s in edge.sessions:
        t.open(f"neighbor {s.peer}")
        t.leaf(f'description "MSEE {s.link.value} {edge.ident}"')
        t.leaf(f"export {out_map(s)}")
        t.close()
    t.close()
    t.open(f"group {INSIDE_GROUP}")
    t.leaf("type internal")
    t.leaf("export ER-TO-INSIDE")
    t.close()
    t.close()
    t.close()
    _nat(t, edge)
    return "\n".join(t.lines) + "\n"
