"""FRR configuration for one emulated router: zebra and bgpd, as two files.

Only typed values reach the text: addresses and prefixes come from ``ipaddress``, ASNs and
preferences are range-checked integers, communities match ``ASN:value`` (see topology.py), and
route-map / list names are generated here. FRR 8.4 defaults are overridden where they would
hide the behaviour under study (see the emulation notes): no eBGP policy requirement, no network
import check, a one-second connect retry, short coalescing.
"""

from __future__ import annotations

from erplan.emulate.topology import BgpSpeaker, Neighbor, Node, TopologyError


def zebra_config(node: Node, log_file: str) -> str:
    return f"hostname {node.name}\nlog file {log_file}\n!\n"


def bgpd_config(node: Node, log_file: str) -> str:
    bgp = node.bgp
    if bgp is None:
        raise TopologyError(f"{node.name} has no BGP speaker")
    out: list[str] = [
        "frr defaults traditional",
        f"hostname {node.name}",
        f"log file {log_file}",
        "!",
    ]
    policy: list[str] = []
    out.append(f"router bgp {bgp.asn}")
    out.append(f" bgp router-id {bgp.router_id}")
    out.append(" no bgp ebgp-requires-policy")
    out.append(" no bgp network import-check")
    out.append(" no bgp default ipv4-unicast")
    # Equal paths are otherwise ordered by age, which depends on start-up timing.
    out.append(" bgp bestpath compare-routerid")
    if bgp.multipath_relax:
        out.append(" bgp bestpath as-path multipath-relax")
    out.append(" coalesce-time 50")
    for nb in bgp.neighbors:
        out.append(f" neighbor {nb.address} remote-as {nb.remote_as}")
        out.append(f" neighbor {nb.address} timers connect 1")
        out.append(f" neighbor {nb.address} timers 3 9")
        out.append(f" neighbor {nb.address} advertisement-interval 0")
    out.append(" !")
    out.append(" address-family ipv4 unicast")
    if bgp.originate:
        for k, orig in enumerate(bgp.originate):
            if orig.communities:
                name = f"ORIG{k}"
                out.append(f"  network {orig.prefix} route-map {name}")
                policy.append(f"route-map {name} permit 10")
                policy.append(f" set community {' '.join(orig.communities)} additive")
            else:
                out.append(f"  network {orig.prefix}")
    if bgp.maximum_paths > 1:
        out.append(f"  maximum-paths {bgp.maximum_paths}")
    for i, nb in enumerate(bgp.neighbors):
        out.append(f"  neighbor {nb.address} activate")
        out.append(f"  neighbor {nb.address} send-community")
        out.append(f"  neighbor {nb.address} route-map IN{i} in")
        out.append(f"  neighbor {nb.address} route-map OUT{i} out")
        if nb.default_originate and nb.default_community is not None:
            out.append(f"  neighbor {nb.address} default-originate route-map DEF{i}")
            policy.append(f"route-map DEF{i} permit 10")
            policy.append(f" set community {nb.default_community}")
        elif nb.default_originate:
            out.append(f"  neighbor {nb.address} default-originate")
        if nb.remove_private_as:
            out.append(f"  neighbor {nb.address} remove-private-AS all")
        policy.extend(_inbound(i, nb))
        policy.extend(_outbound(i, nb, bgp))
    out.append(" exit-address-family")
    out.append("exit")
    out.append("!")
    # Policy first: a route map defined after the session that names it is applied only when
    # FRR's route-map delay timer fires (5 s by default).
    head = out[:4]
    return "\n".join([*head, "bgp route-map delay-timer 0", *policy, "!", *out[4:]]) + "\n"


def _inbound(i: int, nb: Neighbor) -> list[str]:
    name = f"IN{i}"
    lines: list[str] = []
    sets: list[str] = []
    if nb.local_preference is not None:
        sets.append(f" set local-preference {nb.local_preference}")
    if nb.tag_community is not None:
        sets.append(f" set community {nb.tag_community} additive")
    if nb.strip_asns:
        sets.append(f" set as-path exclude {' '.join(str(a) for a in nb.strip_asns)}")
    if nb.reject_communities:
        cl = f"REJ{i}"
        for c in nb.reject_communities:
            lines.append(f"bgp community-list standard {cl} permit {c}")
        lines.append(f"route-map {name} deny 5")
        lines.append(f" match community {cl}")
    if nb.accept_communities is not None:
        if nb.community_preference:
            raise TopologyError("accept_communities and community_preference on one session")
        cl = f"ACC{i}"
        for c in nb.accept_communities:
            lines.append(f"bgp community-list standard {cl} permit {c}")
        if nb.accept_communities:
            lines.append(f"route-map {name} permit 10")
            lines.append(f" match community {cl}")
            lines.extend(sets)
        # Anything else falls to the implicit deny at the end of the route map.
        if not nb.accept_communities:
            lines.append(f"route-map {name} deny 10")
        return lines
    for k, (community, pref) in enumerate(nb.community_preference):
        cl = f"PREF{i}x{k}"
        lines.append(f"bgp community-list standard {cl} permit {community}")
        lines.append(f"route-map {name} permit {10 + k}")
        lines.append(f" match community {cl}")
        lines.append(f" set local-preference {pref}")
        lines.extend(s for s in sets if "local-preference" not in s)
    lines.append(f"route-map {name} permit 1000")
    lines.extend(sets)
    return lines


def _outbound(i: int, nb: Neighbor, bgp: BgpSpeaker) -> list[str]:
    name = f"OUT{i}"
    lines: list[str] = []
    allowed = None if nb.export is None else set(nb.export)
    asn = nb.prepend_asn if nb.prepend_asn is not None else bgp.asn
    seq = 10
    for k, (prefix, count) in enumerate(nb.prepend):
        if count <= 0 or (allowed is not None and prefix not in allowed):
            continue
        pl = f"PP{i}x{k}"
        lines.append(f"ip prefix-list {pl} seq 5 permit {prefix}")
        lines.append(f"route-map {name} permit {seq}")
        lines.append(f" match ip address prefix-list {pl}")
        lines.append(f" set as-path prepend {' '.join([str(asn)] * count)}")
        seq += 10
    if allowed is None:
        lines.append(f"route-map {name} permit 1000")
    elif allowed:
        pl = f"EXP{i}"
        for k, prefix in enumerate(sorted(allowed)):
            lines.append(f"ip prefix-list {pl} seq {5 * (k + 1)} permit {prefix}")
        lines.append(f"route-map {name} permit 1000")
        lines.append(f" match ip address prefix-list {pl}")
    else:
        lines.append(f"route-map {name} deny 1000")
    return lines
