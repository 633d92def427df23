"""The files ``erplan generate frr`` and ``erplan generate nft`` write, loaded as they are into a
real FRR and nftables at a circuit's customer edge facing two Microsoft edges
(``generated_lab.py``), yield the BGP tables and the translations the design intends.

Every expectation comes from the design through ``erplan.facts`` (what each link advertises,
what Microsoft accepts, the communities the route filter admits, the pools); none from the
generators' own output.
"""

from __future__ import annotations

import os
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Any

import pytest

from _generated import CATALOGS, context, examples, files, refused
from emulation.generated_lab import (
    MICROSOFT,
    MICROSOFT_PORT,
    Announcement,
    Lab,
    _host,
    connect,
    initiator,
    inside_hosts,
    inside_routes,
    lab,
    microsoft_routes,
    wait_for,
)
from erplan import facts, facts_edges
from erplan.generators import frr as gen_frr
from erplan.generators.edge import CircuitEdge

pytestmark = pytest.mark.emulation

# Small shipped examples: SNAT, DNAT and inbound SNAT on the edge router with prepends (guide
# 000 Figure 20, both circuits), SNAT and DNAT on a NAT device in front of the edge (Figure 13),
# guide 001's Exchange Hybrid entering by the circuit away from the server's site, and the
# active circuit of guide 000 Figure 15 (local preference 200, SNAT, no inbound service).
SMALL = [
    ("g000-fig20-full-solution", "us-er"),
    ("g000-fig20-full-solution", "eu-er"),
    ("g000-fig13-dnat", "hq-er"),
    ("g001-exchange-hybrid", "dallas-er"),
    ("g000-fig15-active-passive", "us-er"),
]
# Set to 1: every circuit edge of every shipped example that ``erplan generate frr`` renders
# (about 12 s each; bench/emulate_generated.py runs them and prints the figures).
ALL = "ERPLAN_ALL_GENERATED"
CONNECTIONS = 12


def all_edges() -> list[tuple[str, str]]:
    """Every (example, circuit) whose FRR configuration the generator renders."""
    return [
        (example, circuit)
        for example in examples()
        if not refused(example, "frr")
        for circuit in context(example).edges
    ]


CASES = all_edges() if os.environ.get(ALL) == "1" else SMALL


def _rulesets(example: str, edge: CircuitEdge) -> dict[str, str]:
    """The generated rulesets by namespace: the edge router's, and its NAT device's."""
    out: dict[str, str] = {}
    for path, artifact in files(example, "nft").items():
        assert isinstance(artifact.content, str)
        if path == f"nftables/{edge.ident}.nft":
            out["ce"] = artifact.content
        elif path.startswith(f"nftables/{edge.ident}."):
            out["nat"] = artifact.content
    return out


def _learned(box: Lab, node: str, peers: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The node's BGP routes learned from ``peers`` (default: any peer; its own originations
    left out), with the paths from them."""
    routes: dict[str, list[dict[str, Any]]] = box.bgp(node, "show ip bgp").get("routes", {})
    out = {}
    for p, paths in routes.items():
        mine = [x for x in paths if x.get("peerId") not in (None, "(unspec)")]
        mine = [x for x in mine if peers is None or x.get("peerId") in peers]
        if mine:
            out[p] = mine
    return out


def _microsoft(box: Lab) -> set[str]:
    return {str(s.peer) for s in box.edge.sessions}


def _received(box: Lab, node: str, peer: IPv4Address) -> set[str]:
    got = box.bgp(node, f"show ip bgp neighbors {peer} received-routes")
    return set(got.get("receivedRoutes", {}))


def _admitted(box: Lab, ann: list[Announcement]) -> set[str]:
    admitted = facts.circuit_communities(box.design, CATALOGS, box.edge.circuit)
    return {str(a.prefix) for a in ann if set(a.communities) & admitted}


def _converged(box: Lab, ann: list[Announcement]) -> str:
    """Why the network has not settled yet ('' once it has)."""
    peers = box.bgp("ce", "show bgp summary").get("ipv4Unicast", {}).get("peers", {})
    for s in box.edge.sessions:
        if peers.get(str(s.peer), {}).get("state") != "Established":
            return f"{s.link.value} session not established: {peers.get(str(s.peer))}"
    for s in box.edge.sessions:
        want = facts.link_advertisements(box.design, box.edge.circuit, s.link)
        if len(_received(box, MICROSOFT, s.local)) < len(want):
            return f"Microsoft's {s.link.value} edge has not received everything yet"
    learned = _learned(box, "ce", _microsoft(box))
    if any(len(learned.get(p, [])) < 2 for p in _admitted(box, ann)):
        return f"the edge has not learned every admitted route on both links: {sorted(learned)}"
    if not set(_admitted(box, ann)) <= set(_learned(box, "inside")):
        return "the inside has not learned the admitted routes yet"
    return ""


@pytest.mark.parametrize(("example", "circuit"), CASES)
def test_generated_edge_behaves_as_designed(example: str, circuit: str) -> None:
    ctx = context(example)
    design, edge = ctx.design, ctx.edges[circuit]
    conf = files(example, "frr")[f"frr/{edge.ident}.conf"].content
    assert isinstance(conf, str)
    ann = microsoft_routes(design, CATALOGS, circuit)
    c = design.circuits[circuit]
    with lab(design, edge, conf, _rulesets(example, edge), ann) as box:
        wait_for(lambda: _converged(box, ann))

        # The generated sessions retry quickly (FRR's default is 120 s).
        for s in edge.sessions:
            got = box.bgp("ce", f"show bgp neighbors {s.peer}")[str(s.peer)]
            assert got.get("connectRetryTimer") == gen_frr.CONNECT_RETRY_S, (s.link, got)

        # Microsoft's edges: exactly what the design advertises per link, public, with the
        # design's prepends; all of it accepted.
        for s in edge.sessions:
            want = {str(p) for p in facts.link_advertisements(design, circuit, s.link)}
            received = _received(box, MICROSOFT, s.local)
            assert received == want, (s.link, received, want)
            assert all(facts.is_public(IPv4Network(p)) for p in received)
            assert not received & {str(p) for p in inside_routes(box)}
            learned = _learned(box, MICROSOFT, {str(s.local)})
            assert set(learned) == {str(p) for p in facts.learned_prefixes(design, circuit, s.link)}
            for p, paths in learned.items():
                prepends = c.prepend.get(IPv4Network(p), 0)
                path = [str(c.peer_asn)] + [str(facts.prepend_asn(c))] * prepends
                assert [x["path"] for x in paths] == [" ".join(path)], (s.link, p, paths)

        # The edge: Microsoft sent every route; it keeps those of admitted communities, on both
        # links, with the circuit's local preference, and passes them inside.
        admitted = _admitted(box, ann)
        assert admitted and admitted != {str(a.prefix) for a in ann}
        for s in edge.sessions:
            assert _received(box, "ce", s.peer) == {str(a.prefix) for a in ann}
        learned = _learned(box, "ce", _microsoft(box))
        assert set(learned) == admitted, (sorted(learned), sorted(admitted))
        for p in admitted:
            assert {x["peerId"] for x in learned[p]} == {str(s.peer) for s in edge.sessions}
            assert {x.get("locPrf") for x in learned[p]} == {c.local_preference}, learned[p]
        assert set(_learned(box, "inside")) >= admitted

        # Outbound: an inside client reaches Microsoft from an address of the circuit's pool;
        # a prefix the route filter does not admit is not reachable at all.
        client = inside_hosts(box)[0]
        target = next(a for a in ann if str(a.prefix) in admitted)
        pools = [p for _, p, _ in facts.pools(design, circuit)]
        seen = connect(box, "inside", client, _host(target.prefix), MICROSOFT_PORT, CONNECTIONS)
        assert all("error" not in x for x in seen), seen
        assert all(any(ip_address(x["peer"]) in p for p in pools) for x in seen), (pools, seen)
        other = next(a for a in ann if str(a.prefix) not in admitted)
        refused = connect(box, "inside", client, _host(other.prefix), MICROSOFT_PORT, 1)
        assert all("error" in x for x in refused), refused

        # Inbound: Microsoft's initiator reaches each published service over each link; the
        # server sees its internal address as the destination, and the circuit's inbound pool
        # (or the initiator itself) as the source.
        for name, internal, ports in edge.entries:
            svc = design.services[name]
            record = CATALOGS.service(svc.initiator or "")
            assert record is not None
            pool = facts_edges.inbound_pool(design, svc, circuit)
            for s in edge.sessions:
                source = initiator(ann, s.link, record.community)
                got = connect(box, MICROSOFT, source, svc.public_address, ports[0], 3)
                assert all("error" not in x for x in got), (s.link, got)
                for x in got:
                    assert ip_address(x["local"]) == internal, (s.link, x)
                    if pool is None:
                        assert ip_address(x["peer"]) == source, (s.link, x)
                    else:
                        assert ip_address(x["peer"]) in pool, (s.link, pool, x)

        # Nothing else opens a connection from Microsoft's side: sent to the edge by each link,
        # a connection to the inside client, on a port its site's server listens on (if any),
        # is dropped on the way (a timeout, not a refusal or an unreachable network).
        port = edge.entries[0][2][0] if edge.entries else MICROSOFT_PORT
        for s in edge.sessions:
            source = initiator(ann, s.link, target.communities[0])
            got = connect(box, MICROSOFT, source, client, port, 1)
            assert all("TimeoutError" in str(x.get("error")) for x in got), (s.link, got)
