"""A design (plus the flows to test) turned into a Topology that can be built for real.

The emulated network, one namespace per box:

- a **site** router per site: the users' addresses on ``lo`` (from the site's prefixes), the
  site's prefixes originated into the customer's BGP, WAN links to other sites;
- a **device** namespace per stateful device (conntrack is per namespace): drops
  ``ct state invalid`` and new connections from outside that no service admits;
- a **customer edge** per circuit (per link when devices sit per link): SNAT into the circuit's
  pool, DNAT and inbound SNAT for services entering there, BGP to Microsoft in the peer ASN with
  the design's prepends, the route filter as a community filter on routes learned;
- a **Microsoft edge** per circuit link in AS 12076 (drops sources outside the circuit's
  advertised prefixes; strips private ASNs), a **Microsoft core** (AS 8075) holding the front
  ends on ``lo`` with ECMP over every path it learns, preferring ExpressRoute over the internet
  at equal prefix length;
- an **internet** router that hears every breakout's advertisements and Microsoft's prefixes;
  a **breakout** per internet breakout doing the internet source NAT (and DNAT for services);
- a **server** per on-premises service.

Which circuit a site uses is BGP's choice: local preference per circuit (the design's value),
then the WAN distance to the circuit's site, encoded as local preference on the site routers;
equal candidates fall to the lowest router ID (the first circuit in the design). Latency is not
emulated (this kernel has no netem); it stays the model's job.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Literal

import networkx as nx

from erplan.emulate import nft
from erplan.emulate.topology import (
    BgpSpeaker,
    Link,
    Listener,
    Neighbor,
    Node,
    Origination,
    Route,
    Topology,
    TopologyError,
)
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Circuit, Design

MSEE_ASN = 12076
CORE_ASN = 8075
INTERNET_ASN = 64496  # documentation ASN: the emulated internet is nobody's
SITE_ASN = 4200000000  # 4-byte private ASNs for the customer's internal routers
DEVICE_ASN = 4200001000
BREAKOUT_ASN = 4200002000
CIRCUIT_TAG = 64999  # community 64999:n marks routes learned over circuit n
BREAKOUT_TAG = 64998  # community 64998:n marks the default route of breakout n
INTERNET_LOCAL_PREF = 50  # Microsoft prefers ExpressRoute over the internet at equal length
DEFAULT = IPv4Network("0.0.0.0/0")
LINK_BLOCKS = ("100.64.0.0/16", "198.18.0.0/16", "172.31.0.0/16", "10.254.0.0/16")

Direction = Literal["outbound", "inbound"]


@dataclass(frozen=True)
class FlowSpec:
    """One flow to open for real, with what the model says about it."""

    id: str
    direction: Direction
    destination: IPv4Address  # outbound: the front end; inbound: the service's DNS record
    port: int
    site: str | None = None  # outbound: where the connection starts (after any proxy)
    service: str | None = None  # inbound: the design's service name
    prefix: IPv4Network | None = None  # outbound: Microsoft prefix holding the destination
    community: str | None = None  # outbound: service community if ExpressRoute-able
    source: IPv4Address | None = None  # inbound: the Microsoft initiator's address
    source_prefix: IPv4Network | None = None
    source_community: str | None = None
    expected: str | None = None  # the model's verdict
    model_path: str = ""  # the model's forward path, for display


@dataclass(frozen=True)
class Edge:
    """A node where traffic enters or leaves the customer network (it counts SYNs)."""

    node: str
    label: str  # "circuit us-er", "circuit us-er (secondary)", "breakout us-inet"


@dataclass(frozen=True)
class Emulated:
    topology: Topology
    edges: tuple[Edge, ...]
    # flow id -> (client node, source address) the probe runs from
    clients: dict[str, tuple[str, IPv4Address]] = field(default_factory=dict)


class _Links:
    """Allocates /30s for links from a block no design address overlaps."""

    def __init__(self, taken: list[IPv4Network]) -> None:
        for block in LINK_BLOCKS:
            net = IPv4Network(block)
            if not any(net.overlaps(t) for t in taken):
                self._subnets: Iterator[IPv4Network] = net.subnets(new_prefix=30)
                self.block = net
                return
        raise TopologyError("no free address block for the emulated links")
        # pragma: no cover

    def next(self) -> IPv4Network:
        return next(self._subnets)


class _Builder:
    def __init__(self, design: Design, flows: list[FlowSpec]) -> None:
        self.d = design
        self.flows = flows
        self.links: list[Link] = []
        self.if_count: dict[str, int] = {}
        self.neighbors: dict[str, list[Neighbor]] = {}
        self.routes: dict[str, list[Route]] = {}
        self.loopbacks: dict[str, list[IPv4Interface]] = {}
        self.originate: dict[str, list[Origination]] = {}
        self.rid = itertools.count(1)
        self.router_ids: dict[str, IPv4Address] = {}
        self.edges: list[Edge] = []
        self.site_node = {s: f"s{i}" for i, s in enumerate(design.sites)}
        self.breakout_node = {b: f"b{i}" for i, b in enumerate(design.breakouts)}
        self.device_asn: dict[str, int] = {}
        taken = list(self._design_prefixes())
        self.alloc = _Links(taken)
        self.internal = sorted({p for s in design.sites.values() for p in s.prefixes})

    def _design_prefixes(self) -> Iterator[IPv4Network]:
        d = self.d
        for s in d.sites.values():
            yield from s.prefixes
        for b in d.breakouts.values():
            yield from b.nat
            yield from b.advertises
        for c in d.circuits.values():
            yield from c.advertises
            for p in (c.snat_pool, c.inbound_snat_pool, c.primary_subnet, c.secondary_subnet):
                if p is not None:
                    yield p
        for svc in d.services.values():
            yield IPv4Network(svc.public_address)
            yield IPv4Network(svc.dns_record)
            if svc.internal_address is not None:
                yield IPv4Network(svc.internal_address)
            yield from svc.inbound_snat.values()
        for f in self.flows:
            for p in (f.prefix, f.source_prefix):
                if p is not None:
                    yield p

    # -- plumbing ------------------------------------------------------------------------------
    def _ifname(self, node: str) -> str:
        n = self.if_count.get(node, 0)
        self.if_count[node] = n + 1
        return f"e{n}"

    def link(
        self, a: str, b: str, subnet: IPv4Network | None = None
    ) -> tuple[str, IPv4Address, str, IPv4Address]:
        """Join a and b; returns (a's interface, a's address, b's interface, b's address)."""
        net = subnet if subnet is not None and subnet.prefixlen <= 30 else self.alloc.next()
        hosts = list(itertools.islice(net.hosts(), 2))
        a_if, b_if = self._ifname(a), self._ifname(b)
        self.links.append(
            Link(
                a,
                a_if,
                IPv4Interface(f"{hosts[0]}/{net.prefixlen}"),
                b,
                b_if,
                IPv4Interface(f"{hosts[1]}/{net.prefixlen}"),
            )
        )
        return a_if, hosts[0], b_if, hosts[1]

    def peer(self, node: str, nb: Neighbor) -> None:
        self.neighbors.setdefault(node, []).append(nb)

    def router_id(self, node: str) -> IPv4Address:
        if node not in self.router_ids:
            self.router_ids[node] = IPv4Address(0x0A000000 + next(self.rid))
        return self.router_ids[node]

    # -- the customer network ---------------------------------------------------------------
    def site_distances(self) -> dict[str, dict[str, float]]:
        g: nx.Graph = nx.Graph()
        g.add_nodes_from(self.d.sites)
        for w in self.d.wan:
            if not w.up:
                continue
            cost = (
                w.cost if w.cost is not None else (w.latency_ms if w.latency_ms is not None else 1)
            )
            g.add_edge(w.between[0], w.between[1], weight=cost)
        return {s: dict(nx.single_source_dijkstra_path_length(g, s)) for s in self.d.sites}

    def circuit_tag(self, idx: int) -> str:
        return f"{CIRCUIT_TAG}:{idx + 1}"

    def breakout_tag(self, idx: int) -> str:
        return f"{BREAKOUT_TAG}:{idx + 1}"

    def chain(
        self, site_node: str, devices: list[str], end: str, copy: str
    ) -> tuple[list[str], str, IPv4Address, str, IPv4Address]:
        """site — devices… — end. Returns (device nodes, end's inside if, end's inside address,
        the inside neighbour's node, its address)."""
        prev = site_node
        nodes: list[str] = []
        for dev in devices:
            dn = f"d{len(self.device_asn)}"
            self.device_asn[dn] = DEVICE_ASN + len(self.device_asn)
            self.device_labels[dn] = f"device {dev}{copy}"
            self.link_chain(prev, dn)
            nodes.append(dn)
            prev = dn
        _, a_addr, b_if, b_addr = self.link(prev, end)
        self.pending_sessions.append((prev, a_addr, end, b_addr))
        return nodes, b_if, b_addr, prev, a_addr

    def link_chain(self, a: str, b: str) -> None:
        _, a_addr, _, b_addr = self.link(a, b)
        self.pending_sessions.append((a, a_addr, b, b_addr))

    def asn_of(self, node: str) -> int:
        return self.asns[node]

    def build(self) -> Emulated:
        d = self.d
        self.device_labels: dict[str, str] = {}
        self.pending_sessions: list[tuple[str, IPv4Address, str, IPv4Address]] = []
        self.asns: dict[str, int] = {}
        nft_specs: dict[str, nft.NftSpec] = {}
        roles: dict[str, tuple[str, str]] = {}
        listeners: dict[str, list[Listener]] = {}
        clients: dict[str, tuple[str, IPv4Address]] = {}
        dist = self.site_distances()
        circuits = [(n, c) for n, c in d.circuits.items() if c.up]
        breakouts = [(n, b) for n, b in d.breakouts.items() if b.up]
        circuit_idx = {n: i for i, n in enumerate(d.circuits)}
        breakout_idx = {n: i for i, n in enumerate(d.breakouts)}

        # Sites: users on lo, prefixes originated, WAN links.
        users: dict[str, IPv4Address] = {}
        service_addrs = {
            a
            for s in d.services.values()
            for a in (s.internal_address, s.public_address)
            if a is not None
        }
        for i, (name, site) in enumerate(d.sites.items()):
            node = self.site_node[name]
            self.asns[node] = SITE_ASN + i
            roles[node] = ("site", f"site {name}")
            if site.prefixes:
                hosts = (h for h in site.prefixes[0].hosts() if h not in service_addrs)
                user = (
                    next(itertools.islice(hosts, 9, None), None) or site.prefixes[0].network_address
                )
            else:
                user = IPv4Address(0x0AFE0000 + i)  # a site without prefixes still gets a user
                self.originate.setdefault(node, []).append(Origination(IPv4Network(user)))
            users[name] = user
            self.loopbacks.setdefault(node, []).append(IPv4Interface(f"{user}/32"))
            for p in site.prefixes:
                self.routes.setdefault(node, []).append(Route(p, blackhole=True))
                self.originate.setdefault(node, []).append(Origination(p))
        for w in d.wan:
            if w.up:
                self.link_chain(self.site_node[w.between[0]], self.site_node[w.between[1]])

        dev_inner: dict[str, str] = {}
        dev_outer: dict[str, str] = {}

        def record_chain(devs: list[str], end: str) -> None:
            for dn in devs:
                self.asns[dn] = self.device_asn[dn]
                roles[dn] = ("device", self.device_labels[dn])
            seq = [*devs, end]
            for k, dn in enumerate(devs):
                prev = self.site_of_chain if k == 0 else devs[k - 1]
                dev_inner[dn] = self.iface_towards(dn, prev)
                dev_outer[dn] = self.iface_towards(dn, seq[k + 1])

        # Circuits: devices, customer edge(s), Microsoft edge(s).
        msee_nodes: list[tuple[str, str, IPv4Address]] = []  # (msee, circuit, core-side addr)
        self.core = "core"
        self.asns["core"] = CORE_ASN
        roles["core"] = ("microsoft-core", "Microsoft core and front ends")
        for cname, c in circuits:
            ci = circuit_idx[cname]
            site_node = self.site_node[c.site]
            copies = ["p", "s"] if getattr(c, "devices_per_link", False) else [""]
            for copy in copies:
                ce = f"ce{ci}{copy}"
                ms = f"ms{ci}{copy}"
                suffix = {"p": " (primary)", "s": " (secondary)", "": ""}[copy]
                self.asns[ce] = c.peer_asn
                self.asns[ms] = MSEE_ASN
                roles[ce] = ("customer-edge", f"circuit {cname}{suffix}")
                roles[ms] = ("microsoft-edge", f"Microsoft edge of {cname}{suffix}")
                self.edges.append(Edge(ce, f"circuit {cname}{suffix}"))
                self.site_of_chain = site_node
                devs, ce_in, _, _, _ = self.chain(site_node, list(c.devices), ce, suffix)
                record_chain(devs, ce)
                subnet = c.secondary_subnet if copy == "s" else c.primary_subnet
                ce_out, ce_addr, ms_in, ms_addr = self.link(ce, ms, subnet)
                _, core_side, _, ms_core = self.link(self.core, ms)
                msee_nodes.append((ms, cname, core_side))
                # CE <-> MSEE session with the design's policy.
                self.peer(
                    ce,
                    Neighbor(
                        ms_addr,
                        MSEE_ASN,
                        accept_communities=tuple(self.filter_communities(c)),
                        local_preference=c.local_preference,
                        tag_community=self.circuit_tag(ci),
                        export=tuple(c.advertises),
                        prepend=tuple((p, n) for p, n in c.prepend.items()),
                        prepend_asn=c.prepend_asn,
                    ),
                )
                self.peer(ms, Neighbor(ce_addr, c.peer_asn))
                self.peer(
                    ms,
                    Neighbor(core_side, CORE_ASN, remove_private_as=True),
                )
                self.peer(self.core, Neighbor(ms_core, MSEE_ASN))
                for p in c.advertises:
                    self.routes.setdefault(ce, []).append(Route(p, blackhole=True))
                    self.originate.setdefault(ce, []).append(Origination(p))
                spec = nft.NftSpec(
                    counters=nft.Counters(inner=(ce_in,), outer=(ce_out,)),
                    snat=(nft.Snat(ce_out, tuple(self.internal), c.snat_pool),)
                    if c.snat_pool is not None
                    else (),
                )
                spec = self.inbound_nat(spec, cname, c, ce, ce_out, entry_kind="circuit")
                nft_specs[ce] = spec
                nft_specs[ms] = nft.NftSpec(
                    source_filters=(nft.SourceFilter(ms_in, tuple(c.advertises)),)
                )

        # Breakouts: devices, the breakout's NAT, the internet.
        self.asns["inet"] = INTERNET_ASN
        roles["inet"] = ("internet", "the internet")
        _, core_inet, _, inet_core = self.link(self.core, "inet")
        self.peer(
            self.core, Neighbor(inet_core, INTERNET_ASN, local_preference=INTERNET_LOCAL_PREF)
        )
        self.peer("inet", Neighbor(core_inet, CORE_ASN))
        for bname, b in breakouts:
            bi = breakout_idx[bname]
            node = self.breakout_node[bname]
            self.asns[node] = BREAKOUT_ASN + bi
            roles[node] = ("breakout", f"breakout {bname}")
            self.edges.append(Edge(node, f"breakout {bname}"))
            self.site_of_chain = self.site_node[b.site]
            devs, b_in, _, _, _ = self.chain(self.site_node[b.site], list(b.devices), node, "")
            record_chain(devs, node)
            b_out, b_addr, _, inet_addr = self.link(node, "inet")
            self.peer(node, Neighbor(inet_addr, INTERNET_ASN, export=tuple(b.advertises)))
            self.peer("inet", Neighbor(b_addr, self.asns[node]))
            for p in b.advertises:
                self.routes.setdefault(node, []).append(Route(p, blackhole=True))
                self.originate.setdefault(node, []).append(Origination(p))
            spec = nft.NftSpec(
                counters=nft.Counters(inner=(b_in,), outer=(b_out,)),
                snat=(nft.Snat(b_out, tuple(self.internal), b.nat[0]),) if b.nat else (),
            )
            nft_specs[node] = self.inbound_nat(spec, bname, None, node, b_out, "breakout")

        # Sessions along chains and WAN links, with the customer's policy on site routers.
        site_nodes = set(self.site_node.values())
        breakout_of_site = {self.site_node[s]: d.site_breakout(s) for s in d.sites}
        all_circuit_tags = tuple(self.circuit_tag(circuit_idx[n]) for n, _ in circuits)
        all_breakout_tags = tuple(self.breakout_tag(breakout_idx[n]) for n, _ in breakouts)
        for na, na_addr, nb_, nb_addr in self.pending_sessions:
            for here, there, there_addr in ((na, nb_, nb_addr), (nb_, na, na_addr)):
                kwargs: dict[str, object] = {}
                if here in site_nodes:
                    kwargs.update(
                        self.site_policy(
                            here,
                            dist,
                            circuits,
                            breakouts,
                            circuit_idx,
                            breakout_idx,
                            breakout_of_site,
                            all_circuit_tags,
                            all_breakout_tags,
                        )
                    )
                if here.startswith("b") and here in self.breakout_node.values():
                    bi = list(self.breakout_node.values()).index(here)
                    kwargs["default_originate"] = True
                    kwargs["default_community"] = self.breakout_tag(bi)
                    kwargs["export"] = tuple(o.prefix for o in self.inward_only.get(here, []))
                if here.startswith("ce"):
                    # An edge reaches Microsoft only by its own circuit.
                    kwargs["reject_communities"] = all_circuit_tags
                self.peer(here, Neighbor(there_addr, self.asns[there], **kwargs))  # type: ignore[arg-type]

        # Devices: stateful filtering; admit new inbound connections to services only.
        allow = tuple(
            (svc.internal_address or svc.public_address, tuple(svc.ports))
            for svc in d.services.values()
        )
        for dn in self.device_asn:
            nft_specs[dn] = nft.NftSpec(firewall=nft.Firewall(outer=(dev_outer[dn],), allow=allow))
            # Devices pass inner/outer; nothing else to configure.
            _ = dev_inner[dn]

        # Microsoft side: front ends and initiators on the core; ExpressRoute-able prefixes
        # (with their service community) towards every Microsoft edge.
        core_lo: set[IPv4Address] = set()
        ms_prefixes: dict[IPv4Network, set[str]] = {}
        for f in self.flows:
            for addr, prefix, comm in (
                (f.destination if f.direction == "outbound" else None, f.prefix, f.community),
                (f.source, f.source_prefix, f.source_community),
            ):
                if addr is None:
                    continue
                core_lo.add(addr)
                pfx = prefix if prefix is not None else IPv4Network(addr)
                ms_prefixes.setdefault(pfx, set())
                if comm:
                    ms_prefixes[pfx].add(comm)
            if f.direction == "outbound":
                listeners.setdefault(self.core, []).append(Listener(f.destination, f.port))
        er_prefixes = tuple(p for p, cs in sorted(ms_prefixes.items()) if cs)
        for p, cs in sorted(ms_prefixes.items()):
            self.routes.setdefault(self.core, []).append(Route(p, blackhole=True))
            self.originate.setdefault(self.core, []).append(Origination(p, tuple(sorted(cs))))
        self.loopbacks.setdefault(self.core, []).extend(
            IPv4Interface(f"{a}/32") for a in sorted(core_lo)
        )
        core_nbs = []
        for nb in self.neighbors.get(self.core, []):
            if nb.remote_as == MSEE_ASN:
                nb = Neighbor(nb.address, nb.remote_as, export=er_prefixes)
            core_nbs.append(nb)
        self.neighbors[self.core] = core_nbs

        # On-premises servers.
        for k, (sname, svc) in enumerate(d.services.items()):
            srv = f"srv{k}"
            roles[srv] = ("server", f"server of {sname}")
            site_node = self.site_node[svc.site]
            _, s_addr, _, srv_addr = self.link(site_node, srv)
            addr = svc.internal_address or svc.public_address
            self.loopbacks.setdefault(srv, []).append(IPv4Interface(f"{addr}/32"))
            self.routes.setdefault(srv, []).append(Route(DEFAULT, via=(s_addr,)))
            self.routes.setdefault(site_node, []).append(Route(IPv4Network(addr), via=(srv_addr,)))
            self.originate.setdefault(site_node, []).append(Origination(IPv4Network(addr)))
            listeners.setdefault(srv, []).extend(Listener(addr, p) for p in svc.ports)

        for f in self.flows:
            if f.direction == "outbound" and f.site is not None:
                clients[f.id] = (self.site_node[f.site], users[f.site])
            elif f.source is not None:
                clients[f.id] = (self.core, f.source)

        nodes = []
        for name in sorted(roles, key=_node_order):
            role, label = roles[name]
            bgp = None
            if name in self.asns:
                bgp = BgpSpeaker(
                    self.asns[name],
                    self.router_id(name),
                    neighbors=tuple(self.neighbors.get(name, [])),
                    originate=tuple(_dedupe(self.originate.get(name, []))),
                    maximum_paths=16 if name == self.core else 1,
                    multipath_relax=name == self.core,
                )
            node_spec = nft_specs.get(name)
            nodes.append(
                Node(
                    name,
                    role,
                    label=label,
                    loopbacks=tuple(self.loopbacks.get(name, [])),
                    routes=tuple(self.routes.get(name, [])),
                    bgp=bgp,
                    nftables=nft.render(node_spec) if node_spec is not None else "",
                    listeners=tuple(dict.fromkeys(listeners.get(name, []))),
                )
            )
        notes = (
            "latency is not emulated (no netem on this kernel): it stays the model's job",
            f"emulated links use {self.alloc.block}",
        )
        return Emulated(
            Topology(tuple(nodes), tuple(self.links), notes), tuple(self.edges), clients
        )

    def iface_towards(self, node: str, peer: str) -> str:
        for link in self.links:
            if link.a == node and link.b == peer:
                return link.a_if
            if link.b == node and link.a == peer:
                return link.b_if
        raise KeyError(f"{node}-{peer}")

    inward_only: dict[str, list[Origination]]

    def filter_communities(self, c: Circuit) -> Iterable[str]:
        """The communities a circuit's route filter admits (unknown names admit nothing)."""
        from erplan.catalogs import load_catalogs

        cats = load_catalogs()
        for name in c.route_filter:
            svc = cats.service(name)
            if svc is not None:
                yield svc.community

    def inbound_nat(
        self,
        spec: nft.NftSpec,
        entry: str,
        circuit: Circuit | None,
        node: str,
        outer_if: str,
        entry_kind: str,
    ) -> nft.NftSpec:
        """DNAT and inbound SNAT for every service entering at this circuit or breakout."""
        dnat: list[nft.Dnat] = []
        isnat: list[nft.InboundSnat] = []
        for svc in self.d.services.values():
            names = set(svc.entry)
            here = entry in names or (
                ENTRY_EXPRESSROUTE in names if entry_kind == "circuit" else ENTRY_INTERNET in names
            )
            if not here:
                continue
            ports = tuple(svc.ports)
            target = svc.public_address
            if svc.internal_address is not None:
                dnat.append(nft.Dnat(outer_if, svc.public_address, svc.internal_address, ports))
                target = svc.internal_address
            pool = svc.inbound_snat.get(entry)
            if pool is None and circuit is not None:
                pool = circuit.inbound_snat_pool
            if pool is not None:
                isnat.append(nft.InboundSnat(outer_if, target, ports, pool))
                self.routes.setdefault(node, []).append(Route(pool, blackhole=True))
                org = Origination(pool)
                self.originate.setdefault(node, []).append(org)
                self.inward_only.setdefault(node, []).append(org)
        return nft.NftSpec(
            snat=spec.snat,
            dnat=tuple(dnat),
            inbound_snat=tuple(isnat),
            counters=spec.counters,
        )

    def site_policy(
        self,
        node: str,
        dist: dict[str, dict[str, float]],
        circuits: list[tuple[str, Circuit]],
        breakouts: Sequence[tuple[str, object]],
        circuit_idx: dict[str, int],
        breakout_idx: dict[str, int],
        breakout_of_site: dict[str, str | None],
        all_circuit_tags: tuple[str, ...],
        all_breakout_tags: tuple[str, ...],
    ) -> dict[str, object]:
        """A site router's inbound policy: circuit preference (local preference, then WAN
        distance: hot potato), its own breakout for the default route, route scope."""
        site = next(s for s, n in self.site_node.items() if n == node)
        reject: list[str] = []
        prefs: list[tuple[str, int]] = []
        if not self.d.sites[site].er_routes:
            reject.extend(all_circuit_tags)
        else:
            for cname, c in circuits:
                far = dist[site].get(c.site)
                if far is None:
                    continue
                lp = min(c.local_preference, 4_000_000) * 1000 + 999 - min(999, int(far))
                prefs.append((self.circuit_tag(circuit_idx[cname]), lp))
        own = breakout_of_site.get(node)
        for bname, _ in breakouts:
            tag = self.breakout_tag(breakout_idx[bname])
            if own is None:
                reject.append(tag)
            elif bname == own:
                prefs.append((tag, 200))
        return {"reject_communities": tuple(reject), "community_preference": tuple(prefs)}


def _dedupe(items: list[Origination]) -> list[Origination]:
    seen: dict[IPv4Network, Origination] = {}
    for o in items:
        if o.prefix in seen:
            merged = tuple(sorted({*seen[o.prefix].communities, *o.communities}))
            seen[o.prefix] = Origination(o.prefix, merged)
        else:
            seen[o.prefix] = o
    return list(seen.values())


def _node_order(name: str) -> tuple[int, str]:
    order = ["s", "d", "ce", "ms", "core", "inet", "b", "srv"]
    for p in sorted(order, key=len, reverse=True):
        if name.startswith(p):
            return (order.index(p), name)
    return (len(order), name)  # pragma: no cover


def translate(design: Design, flows: list[FlowSpec]) -> Emulated:
    """The topology that emulates ``design`` for ``flows``."""
    b = _Builder(design, flows)
    b.inward_only = {}
    return b.build()
