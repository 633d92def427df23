"""Why a branch fails, or comes back another way: the cause, in words, and the design object
a fix must change. The worst branch decides a verdict, and its cause is traced back to what
makes the packets go there (a reply that comes back by another circuit is caused by what makes
Microsoft route it there, not by the firewall that drops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

from erplan.analyses.causes import CAUSES, Culprit
from erplan.analyses.design_causes import (
    advertised_on_a_link_down,
    crosswise_designation,
    inbound_pool_pulled,
)
from erplan.analyses.missing_routes import breakout_cut_off, refused
from erplan.engine import Branch, Direction, Disposition, Engine, FlowTrace, Outcome, Path
from erplan.engine.nodes import Kind
from erplan.engine.ranges import addr
from erplan.engine.routes import Internal, Microsoft365, Regional
from erplan.engine.trace import Hop, edge_owner
from erplan.facts import entry_breakouts, entry_circuits, inbound_pool

# Routers with one way into the customer network, and the hosts of a site (one way out: a
# device down between them and the site router leaves them without a route).
_EDGES = (Kind.LINK, Kind.CE, Kind.BREAKOUT, Kind.LAN)
_INWARD = (Kind.CE, Kind.SITE)
_ROUTERS = (Kind.SITE, Kind.LAN, Kind.CE, Kind.LINK, Kind.BREAKOUT)


class FailureCauses:
    """The cause of each failing branch of one engine's traces."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.design = engine.design
        self._parts: dict[str, str] | None = None  # site -> its part of the WAN's up links

    def failure(self, t: FlowTrace, b: Branch) -> tuple[str, str, Culprit]:
        """(cause key, the cause in words, the design object to fix) for a branch that fails or
        comes back another way."""
        fwd, back = b.forward, b.back
        f = t.flow
        owner_f, owner_b = self._path_owner(fwd), self._path_owner(back)
        sender = fwd.hops[0].src if fwd.hops else 0
        if (
            back is not None
            and f.direction is Direction.INBOUND
            and (owner_f or "").startswith("circuit:")
            and self.e.tables.route_class(sender) is None
        ):
            gone = back.reason
            if back.disposition is Disposition.DELIVERED:  # asymmetric: where it goes instead
                gone = f"it leaves by {back.edge}"
            entry = self.e.tables.entry(sender)
            if isinstance(entry, Microsoft365) and owner_f:
                # Advertised by Microsoft, refused by every route filter: the filter is the fix.
                circuit = owner_f.split(":", 1)[1]
                why = (
                    f"the sender {addr(sender)} is in a prefix Microsoft advertises over "
                    f"ExpressRoute, but no circuit's route filter admits its service: the "
                    f"request enters by {fwd.edge}, the reply cannot go back that way ({gone})"
                )
                return "initiator-filtered", why, ("circuits", circuit, "route_filter")
            why = (
                f"the sender {addr(sender)} is not among the prefixes Microsoft advertises over "
                f"ExpressRoute: the request enters by {fwd.edge}, the reply cannot go back that "
                f"way ({gone})"
            )
            return "sender-outside-expressroute", why, ("services", f.origin, "entry")
        if back is not None and not b.outcome.works and f.direction is Direction.INBOUND:
            preferred = self._entry_prefers(owner_f, sender)
            if preferred is not None:
                return preferred
        if back is not None and owner_f and owner_b and owner_f != owner_b:
            if f.direction is Direction.INBOUND:
                shared = self._shared_inbound_pool(f.origin, owner_f, back.reason)
                if shared is None and fwd.edge is not None and back.hops:
                    shared = inbound_pool_pulled(
                        self.design, f.origin, fwd.edge, back.hops[0].dst, back.reason
                    )
                if shared is not None:
                    return shared
                why = (
                    f"the request enters by {fwd.edge}, but the server's reply heads for "
                    f"{owner_b}: the entry does not source-NAT the connection, and the server's "
                    f"network routes the initiator's address elsewhere ({back.reason})"
                )
                return "inbound-return-elsewhere", why, ("services", f.origin, "inbound_snat")
            return self._returned_elsewhere(b)
        split = self._reply_link(back) if back is not None else None
        if (
            back is not None
            and fwd.edge
            and split
            and fwd.edge != split
            and back.cause == "no-session"
            and _owner(fwd.edge) == _owner(split)
        ):
            circuit = (_owner(fwd.edge) or "").split(":", 1)[1]
            why = f"{CAUSES['link-split'][0]} ({back.reason})"
            return "link-split", why, ("circuits", circuit, "links")
        path = back if back is not None and back.disposition is not Disposition.DELIVERED else fwd
        cause = path.cause or b.outcome.value
        culprit: Culprit = b.culprit
        why = b.reason
        inbound_request = path is fwd and f.direction is Direction.INBOUND
        if cause == "no-direct-internet":
            # Refused because it fell to the default route: why the router had no other.
            missing = refused(self.e, path)
            if missing is not None:
                return missing.key, f"{why}: {missing.why}", missing.culprit
        if cause == "delivered-elsewhere" and not inbound_request:
            pulled = self._delivered_elsewhere(path)
            if pulled is not None:
                return pulled
        if back is not None and path is back and cause == "no-route":
            cause = "no-route-back"
        if cause == "no-route-back" and not culprit:
            unadvertised = self._unadvertised(fwd, path)
            if unadvertised is not None:
                return unadvertised
        # Where the packet lost its way: the first router that reaches no holder of the
        # internal address it carries (it forwards by a covering or default route from there),
        # else where it ends.
        end = self._lost_at(path) if path.hops else None
        dead = self._cut_off_by(end) if cause in ("no-route", "no-route-back") and end else None
        if dead is not None:
            assert end is not None
            where = self.e.net.nodes[end.node].label
            why = f"{CAUSES['device-down'][0]}: {dead} stands between {where} and the site"
            return "device-down", why, ("devices", dead, "up")
        if cause == "no-route" and culprit[-1:] == ("breakout",) and path.hops:
            # The breakout is there and up: the device between it and the site is the fix.
            cut_off = breakout_cut_off(self.e, path.hops[-1].node)
            if cut_off is not None:
                why = f"{why}: device {cut_off[0]} on the way to breakout {cut_off[1]} is down"
                return "breakout-device-down", why, ("devices", cut_off[0], "up")
        if f.direction is Direction.INBOUND and path is fwd and cause == "delivered-elsewhere":
            cause = "wrong-host"  # the record, the published address or the mapping: below
        cut = self._cut_by_wan(end) if cause in ("no-route", "no-route-back") and end else None
        if cut is not None:
            assert end is not None
            i, (a, z) = cut, self.design.wan[cut].between
            where = self.e.net.nodes[end.node].label
            why = (
                f"the WAN link between {a} and {z} is down: {where} has no way on to "
                f"{addr(end.dst)}, while the routes that lead here stay up"
            )
            return "down", why, ("wan", i, "up")
        crosswise = None
        if cause == "loop":
            nodes = self.e.net.nodes
            sites = [n.name for h in path.hops if (n := nodes[h.node]).kind is Kind.SITE]
            crosswise = crosswise_designation(self.design, sites)
        if crosswise is not None:
            return "loop", f"{why}: {crosswise[0]}", crosswise[1]
        if f.direction is Direction.INBOUND and path is fwd and cause == "loop" and path.hops:
            svc = self.design.services[f.origin]
            record = int(svc.dns_record)
            if record != int(svc.public_address) and path.hops[-1].dst == record:
                # No host holds the record's address: the routers pass it between them.
                why = (
                    f"{why}: the public DNS record {svc.dns_record} of {svc.fqdn} is not its "
                    f"published address {svc.public_address}, and no destination NAT leads "
                    f"{svc.dns_record} to a host"
                )
                return "wrong-host", why, ("services", f.origin, "dns_record")
        if f.direction is Direction.INBOUND and path is fwd and cause in ("no-route", "wrong-host"):
            svc = self.design.services[f.origin]
            mismatch = svc.dns_record != svc.public_address
            if mismatch and (cause == "wrong-host" or fwd.edge is not None):
                culprit = ("services", f.origin, "dns_record")
                cause = "wrong-host"
            elif cause == "wrong-host":
                # The record is right: the address it is translated to leads elsewhere.
                to = "internal_address" if svc.internal_address is not None else "public_address"
                culprit = ("services", f.origin, to)
            elif fwd.edge is None:
                # It never entered: nothing leads the initiator to the service.
                culprit = ("services", f.origin, "dns_record")
                cause = "inbound-no-route"
                why = (
                    f"{'Microsoft' if f.kind != 'internet' else 'The internet'} has no route "
                    f"to {svc.dns_record}, the public DNS record of {svc.fqdn}: nothing "
                    "advertises it"
                )
        if cause in ("dns", "proxy") and f.direction is Direction.OUTBOUND:
            why, culprit = self._earlier(t, b, cause, why, culprit)
            if culprit[:1] == ("devices",) and culprit[-1:] == ("up",):
                cause += "-device-down"  # the device is the fix, not the resolver or proxy
        if cause not in CAUSES:
            cause = "no-session" if b.outcome is Outcome.DROPPED else "no-route"
        return cause, why, culprit

    def _earlier(
        self, t: FlowTrace, b: Branch, cause: str, why: str, culprit: Culprit
    ) -> tuple[str, Culprit]:
        """The reason and design object of a branch that fails because a connection the flow
        needs first fails - the DNS queries that resolve its names, or the users' leg to their
        proxy - as that connection's own row names them (the flow's branch carries only that
        connection's branch reason and culprit: a site device that is down between the hosts
        and the site router is named there, not the hosts' missing way out)."""
        f = t.flow
        if cause == "dns":
            dns = self.e.tracer.resolved(self.e.tracer.resolving(f))
            earlier = [(dns, list(dns.branches))]
        else:
            legs = self.e.tracer.proxy_legs(f, self.e.tracer.chain(f))
            earlier = [(t, branches) for _, branches in legs]
        failing = [(x, e) for x, es in earlier for e in es if not e.outcome.works]
        if not failing:
            return why, culprit
        # The earlier branch this one repeats (its reason ends the flow's, its culprit is the
        # flow's), else the worst.
        same = [
            (x, e) for x, e in failing if e.culprit == b.culprit and why.endswith(f": {e.reason}")
        ]
        x, worst = max(same or failing, key=lambda xe: (xe[1].outcome.rank, xe[1].weight))
        _, own_why, own_culprit = self.failure(x, worst)
        if same:
            why = why[: len(why) - len(worst.reason)] + own_why
        return why, own_culprit or culprit

    def _delivered_elsewhere(self, path: Path) -> tuple[str, str, Culprit] | None:
        """A packet delivered to another site's hosts: what pulls it there is the most specific
        prefix those hosts hold over its address (longest prefix first) - unless the address
        is a server's or a proxy's that no prefix of its own site holds: then that address is
        what stands in the wrong place."""
        last = path.hops[-1]
        node = self.e.net.nodes[last.node]
        site = node.site  # only hosts are delivered to: a site's, Microsoft's, the internet's
        held = self._held(site, last.dst) if site is not None else None
        if held is None:
            return None
        culprit, prefix = held
        at = f"{addr(last.dst)} lies in {prefix} of site {site}"
        stray = self._stray(last.dst)
        if stray is not None:
            culprit, what, home = stray
            why = f"{path.reason}: {what} {at}, outside every prefix of its own site {home}"
        else:
            why = f"{path.reason}: {at} (its most specific prefix there)"
        return "delivered-elsewhere", why, culprit

    def _held(self, site: str, address: int) -> tuple[Culprit, IPv4Network] | None:
        """The most specific prefix a site's hosts hold over ``address``, and its path: a site
        prefix, or a service's public address that is its host's own (no translation)."""
        d = self.design
        found: list[tuple[Culprit, IPv4Network]] = [
            (("sites", site, "prefixes", i), p)
            for i, p in enumerate(d.sites[site].prefixes)
            if _covers(p, address)
        ]
        found += [
            (("services", name, "public_address"), IPv4Network(svc.public_address))
            for name, svc in d.services.items()
            if svc.site == site
            and svc.internal_address is None
            and int(svc.public_address) == address
        ]
        return max(found, key=lambda x: x[1].prefixlen, default=None)

    def _stray(self, address: int) -> tuple[Culprit, str, str] | None:
        """The server or proxy whose own address ``address`` is, when no prefix of its own
        site holds it: (its address's path, what it is, its site)."""
        d = self.design
        owners: list[tuple[Culprit, str, str]] = [
            (("servers", n, "address"), f"the address of server {n}", s.site)
            for n, s in d.servers.items()
            if int(s.address) == address
        ]
        owners += [
            (("devices", n, "address"), f"the address of {v.kind.value} {n}", v.site)
            for n, v in d.devices.items()
            if v.address is not None and int(v.address) == address
        ]
        for culprit, what, site in owners:
            if site in d.sites and not any(_covers(p, address) for p in d.sites[site].prefixes):
                return culprit, what, site
        return None

    def _unadvertised(self, fwd: Path, back: Path) -> tuple[str, str, Culprit] | None:
        """A reply the internet or Microsoft has no route for: by a breakout, the breakout
        sends the source out without advertising it (nor translating it); by a circuit (whose
        unadvertised sources Microsoft drops on the way in), only a link that is down
        advertises it."""
        owner = _owner(fwd.edge) or ""
        if not owner.startswith(("breakout:", "circuit:")):
            return None
        if self.e.net.nodes[back.hops[-1].node].kind not in (Kind.INTERNET, Kind.MICROSOFT):
            return None  # lost inside the customer network: not for want of an advertisement
        name = owner.split(":", 1)[1]
        to = back.hops[0].dst  # the reply's destination: the source the request left with
        if owner.startswith("circuit:"):
            return advertised_on_a_link_down(self.design, name, to, back.reason)
        why = (
            f"{back.reason}: replies to {addr(to)} have no way back to breakout {name}, which "
            f"the request left by: it does not advertise {addr(to)} (nor translate it to an "
            "address the internet routes to it)"
        )
        return "no-route-back", why, ("breakouts", name, "advertises")

    def _entry_prefers(self, entry: str | None, sender: int) -> tuple[str, str, Culprit] | None:
        """An entry circuit whose own edge routes the initiator's address to another circuit
        (a higher local preference): a reply leaves that way even when inbound source NAT
        brings it back to the entry to be translated, so source NAT alone does not help."""
        if entry is None or not entry.startswith("circuit:"):
            return None
        name = entry.split(":", 1)[1]
        tables = self.e.tables
        cls = tables.route_class(sender)
        admitting = cls.circuits if isinstance(cls, Regional) else cls
        if not isinstance(admitting, frozenset) or name not in admitting:
            return None  # the entry has no route of its own for the sender: not a preference
        decision = tables.customer_decision(f"ce:{name}", sender)
        own = set(tables.links_up.get(name, ()))
        if not decision.nexts or set(decision.nexts) <= own or len(decision.culprit) < 2:
            return None
        other = str(decision.culprit[1])
        circuits = self.design.circuits
        if other == name or other not in circuits:
            return None
        # What the fix changes: the entry's own local preference, raised to the other's, or
        # the other's preference for a regional community the sender's prefix carries.
        culprit: Culprit = ("circuits", name, "local_preference")
        if circuits[other].local_preference <= circuits[name].local_preference:
            culprit = ("circuits", other, "region_preference")
        why = (
            f"circuit {name}, which the request enters by, itself sends traffic to "
            f"{addr(sender)} by circuit {other} ({decision.route}): a reply leaves that way "
            "even after it is translated back at the entry"
        )
        return "entry-prefers-another-circuit", why, culprit

    def _shared_inbound_pool(
        self, service: str, entry: str, reason: str
    ) -> tuple[str, str, Culprit] | None:
        """The entry source-NATs the connection, but into a pool another entry translates into
        too: the server's network routes the pool to one of them (DESIGN "State")."""
        d = self.design
        svc = d.services[service]
        kind, _, name = entry.partition(":")
        pool = inbound_pool(d, svc, name)
        if pool is None:
            return None
        pools = {
            o: inbound_pool(d, svc, o) for o in [*entry_circuits(d, svc), *entry_breakouts(d, svc)]
        }
        other = next((o for o, p in pools.items() if o != name and p and p.overlaps(pool)), None)
        if other is None:
            return None
        why = (
            f"the request enters by {entry} and is source-NATed into {pool}, which {other} "
            f"translates into too: the server's network routes that pool to one of them, and the "
            f"replies of the other's connections reach a device that never saw them ({reason})"
        )
        culprit: Culprit = ("services", service, "inbound_snat")
        if kind == "circuit" and name not in svc.inbound_snat:
            culprit = ("circuits", name, "inbound_snat_pool")
        return "shared-inbound-pool", why, culprit

    def _reply_link(self, back: Path) -> str | None:
        """The circuit link a reply took: the one it entered by, or the one it was dropped on
        (a device standing on one link of a circuit: the link end of the device's wire, read
        from the network, since device and circuit names may hold '@', ':' and '/')."""
        if back.edge is not None:
            return back.edge
        if not back.hops:
            return None
        net = self.e.net
        last = back.hops[-1].node
        wire = net.device_wire.get(last)
        for end in (wire.a, wire.b) if wire is not None else (last,):
            node = net.nodes[end]
            if node.kind is Kind.LINK and node.edge is not None:
                return node.edge.id
        return None

    def _lost_at(self, path: Path) -> Hop:
        """The first hop whose router reaches no holder of the internal address the packet
        carries, else the last hop."""
        tables, nodes = self.e.tables, self.e.net.nodes
        for h in path.hops:
            if nodes[h.node].kind not in _ROUTERS:
                continue
            cls = tables.route_class(h.dst)
            if isinstance(cls, Internal) and not tables.reaches(h.node, cls):
                return h
        return path.hops[-1]

    def _cut_off_by(self, end: Hop) -> str | None:
        """The device that is down on the only way in from ``end`` (a link's, a circuit's or
        a breakout's edge, or the hosts of a site, whose way out to the site router is that way
        in): the packets reach that edge and go no further on their way.
        The way in is followed through the customer edge: a link's edge has no route either
        when a device between its customer edge and the site is down (a NAT device holding
        the address it is sent to)."""
        net = self.e.net
        node = net.nodes[end.node]
        while node.kind in _EDGES:
            inward = [(v, w) for v, w in net.wires[node.id].items() if net.nodes[v].kind in _INWARD]
            if not inward:
                return None
            if not any(w.up for _, w in inward):
                down = (d for _, w in inward for d in w.devices if not net.nodes[d].up)
                return next((net.nodes[d].name for d in down), None)
            if len(inward) != 1:
                return None
            node = net.nodes[inward[0][0]]
        return None

    def _cut_by_wan(self, last: Hop) -> int | None:
        """The WAN link that is down between ``last`` (a customer router) and the holders of
        the internal address it heads for: the first whose being up joins them."""
        net = self.e.net
        site = net.nodes[last.node].site
        cls = self.e.tables.route_class(last.dst)
        if site is None or not isinstance(cls, Internal):
            return None
        holders = {net.nodes[a].site for a in cls.anchors} - {None}
        if not holders:
            return None
        if self._parts is None:
            self._parts = _parts([w.between for w in self.design.wan if w.up])
        part = self._parts
        mine = part.get(site, site)
        theirs = {part.get(h, h) for h in holders if h is not None}
        if mine in theirs:
            return None
        # One link more joins the two when it joins site's part to one of theirs.
        for i, w in enumerate(self.design.wan):
            if w.up:
                continue
            a, z = (part.get(x, x) for x in w.between)
            if (a == mine and z in theirs) or (z == mine and a in theirs):
                return i
        return None

    def _path_owner(self, path: Path | None) -> str | None:
        """The circuit or breakout a path leaves or enters by, or heads for when it ends
        before (the first node it meets that stands on a circuit's or breakout's path)."""
        if path is None:
            return None
        if path.edge is not None:
            return _owner(path.edge)
        nodes = self.e.net.nodes
        for h in path.hops:
            owner = nodes[h.node].path
            if owner is not None:
                return owner
        return None

    def _returned_elsewhere(self, b: Branch) -> tuple[str, str, Culprit]:
        back = b.back
        assert back is not None and back.hops
        dst = back.hops[0].dst  # the address the reply is sent to: the translated source
        edge = back.edge or ""
        kind, _, rest = edge.partition(":")
        name = rest.rpartition("/")[0] if kind == "circuit" else rest  # names may hold '/'
        culprit: Culprit = (kind + "s", name)
        where = ""
        # What pulls the reply there: the most specific of the owner's prefixes that covers it
        # (longest prefix first; the internet also routes to a breakout the NAT addresses it
        # does not advertise).
        lists: list[tuple[tuple[str, ...], Sequence[IPv4Network], str]] = []
        if kind == "circuit":
            c = self.design.circuits[name]
            lists = [(("advertises",), c.advertises, "advertises {}")]
            lists += [
                (("links", k.value, "advertises"), v.advertises, "advertises {}")
                for k, v in c.links.items()
            ]
        elif kind == "breakout":
            bk = self.design.breakouts[name]
            lists = [
                (("advertises",), bk.advertises, "advertises {} to the internet"),
                (("nat",), bk.nat, "translates into {}, which the internet routes to it"),
            ]
        best = -1
        for field, prefixes, text in lists:
            if best >= 0 and field == ("nat",):
                break  # an advertised prefix covers it: the NAT prefix is not announced
            for i, p in enumerate(prefixes):
                if _covers(p, dst) and p.prefixlen > best:
                    best = p.prefixlen
                    culprit = (kind + "s", name, *field, i)
                    where = f": {kind} {name} {text.format(p)}"
        why = (
            f"replies to {addr(dst)} come back by {edge} although the request left by "
            f"{b.forward.edge}{where}"
        )
        if b.outcome is not Outcome.ASYMMETRIC:
            why += f"; {back.reason}" if back.reason else ""
        owners = {kind, (_owner(b.forward.edge) or "").partition(":")[0]}
        # One way by a breakout, the other by a circuit: the internet's NAT addresses and the
        # peering's overlap (guide 000 §5), not two circuits' pools.
        key = "internet-nat-overlap" if owners == {"circuit", "breakout"} else "return-elsewhere"
        return key, why, culprit


def _parts(links: list[tuple[str, str]]) -> dict[str, str]:
    """Each site that ``links`` join to another, to one site standing for all it is joined
    to (a site they leave out stands for itself)."""
    near: dict[str, list[str]] = {}
    for a, z in links:
        near.setdefault(a, []).append(z)
        near.setdefault(z, []).append(a)
    part: dict[str, str] = {}
    for site in near:
        if site in part:
            continue
        part[site], todo = site, [site]
        while todo:
            for y in near[todo.pop()]:
                if y not in part:
                    part[y] = site
                    todo.append(y)
    return part


def _covers(p: IPv4Network, address: int) -> bool:
    return int(p.network_address) <= address < int(p.network_address) + p.num_addresses


_owner = edge_owner
