"""Verdicts from traces: what failed and why, and whether a working flow is slower than it
should be.

Failures: the worst branch decides, and the cause is traced back to the design object a fix
must change (a reply that comes back by another circuit is caused by what makes Microsoft route
it there, not by the firewall that drops it). Optimality (design notes, "Flow semantics"): the
latency from the user to the front end, the same legs for ExpressRoute and the internet, against
the best the design offers that origin for the same front end in the same state; then against
the front end a resolver at the flow's own egress would have answered (a distant resolver).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from erplan.analyses.causes import CAUSES, Culprit
from erplan.analyses.fastest import Links, Option, Searching, Start, Table
from erplan.catalogs import FrontEnd
from erplan.engine import Branch, Direction, Engine, Flow, FlowTrace, Outcome, Path
from erplan.engine.igp import INF
from erplan.engine.network import Kind
from erplan.engine.ranges import addr
from erplan.engine.tables import Microsoft365
from erplan.engine.trace import device_at, edge_owner
from erplan.latency import ZERO, Ms, Point

TENANT_AREAS = frozenset({"Exchange", "SharePoint", "Skype"})


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: Outcome  # worst branch
    slow: bool
    cause_key: str
    cause: str
    fix: str
    source: str
    culprit: tuple[str, ...]
    latency: Ms | None  # the slowest working branch
    best: Ms | None
    relay: Ms | None
    share_warned: float  # share of connections with the warning (asymmetric, slow)


_EDGES = (Kind.LINK, Kind.CE, Kind.BREAKOUT)  # routers with one way into the customer network
_INWARD = (Kind.CE, Kind.SITE)


class Judge:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.design = engine.design
        self.geo = engine.geo
        self._best: dict[tuple[object, ...], list[Option]] = {}
        self._maps: dict[tuple[object, ...], Searching] = {}
        self._inbound: dict[tuple[str, str], list[Option]] = {}
        self.starts: dict[tuple[object, ...], list[Start]] = {}
        # An egress's latency to a front end (geography only: judges on one geography share it).
        self.egress_ms: dict[tuple[str, str, str, bool], Ms] = {}
        # A failed state's tables derived from the baseline's (failures.py); None: search.
        self.inherit: Callable[[tuple[object, ...], list[Start], Links], Table | None] | None = None

    def table(self, key: tuple[object, ...]) -> Table | None:
        """The fastest-egress table searched for ``key`` (front end, circuits, third party)."""
        got = self._maps.get(key)
        return None if got is None else got.table()

    # -- failures ---------------------------------------------------------------------------------
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
            why = (
                f"the sender {addr(sender)} is not among the prefixes Microsoft advertises over "
                f"ExpressRoute: the request enters by {fwd.edge}, the reply cannot go back that "
                f"way ({back.reason or 'it leaves by ' + str(back.edge)})"
            )
            return "sender-outside-expressroute", why, ("services", f.origin, "entry")
        if back is not None and owner_f and owner_b and owner_f != owner_b:
            if f.direction is Direction.INBOUND:
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
        path = back if back is not None and back.disposition.value != "delivered" else fwd
        cause = path.cause or b.outcome.value
        culprit: Culprit = b.culprit
        why = b.reason
        if back is not None and path is back and cause == "no-route":
            cause = "no-route-back"
        dead = self._cut_off_by(path) if cause in ("no-route", "no-route-back") else None
        if dead is not None:
            where = self.e.net.nodes[path.hops[-1].node].label
            why = f"{CAUSES['device-down'][0]}: {dead} stands between {where} and the site"
            return "device-down", why, ("devices", dead, "up")
        if f.direction is Direction.INBOUND and path is fwd and cause in ("no-route", "wrong-host"):
            svc = self.design.services[f.origin]
            mismatch = svc.dns_record != svc.public_address
            if cause == "wrong-host" or (mismatch and fwd.edge is not None):
                culprit = ("services", f.origin, "dns_record")
                cause = "wrong-host"
            elif fwd.edge is None:
                # It never entered: nothing leads the initiator to the service.
                culprit = ("services", f.origin, "dns_record")
                cause = "inbound-no-route"
                why = (
                    f"{'Microsoft' if f.kind != 'internet' else 'The internet'} has no route "
                    f"to {svc.dns_record}, the public DNS record of {svc.fqdn}: nothing "
                    "advertises it"
                )
        if cause not in CAUSES:
            cause = "no-session" if b.outcome is Outcome.DROPPED else "no-route"
        return cause, why, culprit

    def _reply_link(self, back: Path) -> str | None:
        """The circuit link a reply took: the one it entered by, or the one it was dropped on
        (a device standing on one link of a circuit)."""
        if back.edge is not None:
            return back.edge
        if not back.hops:
            return None
        node = self.e.net.nodes[back.hops[-1].node]
        if node.link is not None and node.kind is not Kind.MSEE:
            return f"circuit:{node.name}/{node.link}"
        where = device_at(node.id)[1] if node.kind is Kind.DEVICE else ""
        return where if where.startswith("circuit:") and "/" in where else None

    def _cut_off_by(self, path: Path) -> str | None:
        """The device that is down on the only way in from where ``path`` ends (a link's,
        a circuit's or a breakout's edge): the packets reach that edge and go no further."""
        if not path.hops:
            return None
        net = self.e.net
        node = net.nodes[path.hops[-1].node]
        if node.kind not in _EDGES:
            return None
        inward = [w for v, w in net.wires[node.id].items() if net.nodes[v].kind in _INWARD]
        if not inward or any(w.up for w in inward):
            return None
        down = (d for w in inward for d in w.devices if not net.nodes[d].up)
        return next((net.nodes[d].name for d in down), None)

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
        d = self.design
        culprit: Culprit = (kind + "s", name)
        where = ""
        if kind == "circuit":
            c = d.circuits[name]
            lists = [("advertises", c.advertises)] + [
                (f"links.{link.value}.advertises", c.links[link].advertises) for link in c.links
            ]
            for field, prefixes in lists:
                for i, p in enumerate(prefixes):
                    if int(p.network_address) <= dst < int(p.network_address) + p.num_addresses:
                        culprit = ("circuits", name, *field.split("."), i)
                        where = f": circuit {name} advertises {p}"
                        break
                if where:
                    break
        elif kind == "breakout":
            bk = d.breakouts[name]
            for i, p in enumerate(bk.advertises):
                if int(p.network_address) <= dst < int(p.network_address) + p.num_addresses:
                    culprit = ("breakouts", name, "advertises", i)
                    where = f": breakout {name} advertises {p} to the internet"
                    break
        why = (
            f"replies to {addr(dst)} come back by {edge} although the request left by "
            f"{b.forward.edge}{where}"
        )
        if b.outcome is not Outcome.ASYMMETRIC:
            why += f"; {back.reason}" if back.reason else ""
        return "return-elsewhere", why, culprit

    # -- latency ----------------------------------------------------------------------------------
    def front_end(self, t: FlowTrace) -> FrontEnd | None:
        return self.e.catalogs.front_end(t.flow.front_end) if t.flow.front_end else None

    def outbound_options(
        self, t: FlowTrace, fe: FrontEnd, *, breakouts: bool = False
    ) -> list[Option]:
        """The circuits (and, if asked, the breakouts) the design offers the flow's start site
        towards front end ``fe``, each with its latency."""
        f = t.flow
        entry = self.e.tables.entry(f.destination)
        communities = entry.communities if isinstance(entry, Microsoft365) else frozenset()
        origin = _origin_site(f)
        key = (origin, fe.name, communities, f.third_party, breakouts)
        got = self._best.get(key)
        if got is not None:
            return got
        e, geo, d = self.e, self.geo, self.design
        site = f"site:{origin}"
        fe_point = geo.fe_point(fe)
        out: list[Option] = []
        for name, c in d.circuits.items():
            if not (e.tables.admits[name] & communities) or not e.tables.links_up[name]:
                continue
            if e.igp.distance(site, f"ce:{name}") >= INF:
                continue
            wan = e.igp.latency(site, f"site:{c.site}")
            if wan is None:
                continue
            lat = wan + geo.circuit_access(name) + geo.backbone(geo.peering(name), fe_point)
            out.append(Option("circuit", name, lat))
        for name, bk in d.breakouts.items() if breakouts else ():
            if not bk.up or e.igp.distance(site, f"edge:{name}") >= INF:
                continue
            wan = e.igp.latency(site, f"site:{bk.site}")
            if wan is None:
                continue
            leg, near = geo.breakout_internet(name)
            lat = wan + leg
            if not f.third_party:
                lat = lat + geo.backbone(geo.fe_point(near), fe_point)
            out.append(Option("breakout", name, lat))
        self._best[key] = out
        return out

    def inbound_options(self, t: FlowTrace, fe: FrontEnd) -> list[Option]:
        """Every circuit and breakout by which ``fe`` reaches the service's site, each with
        its latency (the same for every flow to that site: worked out once)."""
        site = self.design.services[t.flow.origin].site
        got = self._inbound.get((site, fe.name))
        if got is None:
            got = self._inbound[(site, fe.name)] = self._inbound_options(site, fe)
        return got

    def _inbound_options(self, site: str, fe: FrontEnd) -> list[Option]:
        e, geo, d = self.e, self.geo, self.design
        fe_point = geo.fe_point(fe)
        target = f"site:{site}"
        out: list[Option] = []
        for name, c in d.circuits.items():
            if not e.tables.links_up[name]:
                continue
            wan = e.igp.latency(f"site:{c.site}", target)
            if wan is None:
                continue
            lat = geo.backbone(fe_point, geo.peering(name)) + geo.circuit_access(name) + wan
            out.append(Option("circuit", name, lat))
        for name, bk in d.breakouts.items():
            if not bk.up:
                continue
            wan = e.igp.latency(f"site:{bk.site}", target)
            if wan is None:
                continue
            leg, near = geo.breakout_internet(name)
            out.append(
                Option("breakout", name, geo.backbone(fe_point, geo.fe_point(near)) + leg + wan)
            )
        return out

    def slower(self, latency: Ms, best: Ms) -> bool:
        a = self.design.analysis
        return latency.ms > best.ms + a.suboptimal_ms and latency.ms > best.ms * a.suboptimal_ratio

    def relay(self, t: FlowTrace, fe: FrontEnd | None) -> Ms | None:
        """Front end -> the tenant's data, for tenant-bound workloads (shown, never compared)."""
        f = t.flow
        if fe is None or f.endpoint_set is None:
            return None
        es = self.e.catalogs.endpoint_set(f.endpoint_set)
        if es is None or es.service_area not in TENANT_AREAS:
            return None
        home = self.e.catalogs.home_front_end(self.design.tenant.geography)
        if home is None:
            return None
        return self.geo.backbone(self.geo.fe_point(fe), self.geo.fe_point(home))

    def slowness(self, t: FlowTrace) -> tuple[str, Culprit, Ms, Ms | None, float] | None:
        """(cause key, culprit, latency, best, share slow) when the flow is suboptimal: per
        front end geoDNS answered, the slow shares added, the cause of the slowest."""
        groups: dict[str | None, list[Branch]] = {}
        for b in t.branches:
            groups.setdefault(b.front_end or t.flow.front_end, []).append(b)
        found = []
        for name, branches in groups.items():
            fe = self.e.catalogs.front_end(name) if name else None
            got = self._slowness(t, fe, branches)
            if got is not None:
                found.append(got)
        if not found:
            return None
        key, culprit, worst, best, _ = max(found, key=lambda x: (x[2].ms, x[0]))
        return key, culprit, worst, best, sum(x[4] for x in found)

    def _slowness(
        self, t: FlowTrace, fe: FrontEnd | None, branches: list[Branch]
    ) -> tuple[str, Culprit, Ms, Ms | None, float] | None:
        f = t.flow
        working = [b for b in branches if b.outcome.works]
        if fe is None or not working:
            return None
        if max(b.ms for b in working) <= self.design.analysis.suboptimal_ms:
            return None  # nothing is faster than nothing: it cannot be that much slower
        if f.direction is Direction.INBOUND:
            opts = self.inbound_options(t, fe)
            if not opts:
                return None
            best = min(opts, key=lambda o: o.latency.ms)
        else:
            found = self.best_outbound(t, fe)
            if found is None:
                return None
            best, opts = found, []
        slow = [b for b in working if self.slower(_ms(b), best.latency)]
        if f.direction is Direction.INBOUND:
            slow = [b for b in slow if self._far_region(b, opts)]
        if slow:
            worst = max(slow, key=lambda b: b.ms)
            if not opts:
                opts = self.outbound_options(t, fe)
            key, culprit = self._latency_cause(t, worst, best, opts)
            return key, culprit, _ms(worst), best.latency, sum(b.weight for b in slow)
        if f.direction is Direction.OUTBOUND and not f.third_party and not self._pinned(f):
            return self._resolver_check(t, working, fe)
        return None

    def _pinned(self, f: Flow) -> bool:
        """Whether the flow's set lives in one region (Dynamics 365): no resolver changes where
        it is answered, so a distant resolver is never the cause."""
        es = self.e.catalogs.endpoint_set(f.endpoint_set) if f.endpoint_set is not None else None
        return es is not None and es.region is not None

    def best_outbound(self, t: FlowTrace, fe: FrontEnd) -> Option | None:
        """The fastest way the design offers the flow's start site to ``fe``."""
        f = t.flow
        entry = self.e.tables.entry(f.destination)
        communities = entry.communities if isinstance(entry, Microsoft365) else frozenset()
        tables = self.e.tables
        circuits = tuple(
            c for c in self.design.circuits if tables.admits[c] & communities and tables.links_up[c]
        )
        key = (fe.name, circuits, f.third_party)
        table = self._maps.get(key)
        if table is None:
            table = self._fastest(fe, circuits, f.third_party)
            self._maps[key] = table
        origin = _origin_site(f)
        best = table.get(f"site:{origin}")
        d, geo = self.design, self.geo
        given = d.sites[origin].internet_latency_ms
        own = d.site_breakout(origin)
        if given is None or own is None or not d.breakouts[own].up:
            return best
        # The site's given figure replaces the estimate of its own breakout's legs.
        lat = Ms(given, False)
        if not f.third_party:
            _, near = geo.breakout_internet(own)
            lat = lat + geo.backbone(geo.fe_point(near), geo.fe_point(fe))
        mine = Option("breakout", own, lat)
        if best is not None and not (best.kind == "breakout" and best.name == own):
            return best if best.latency.ms <= lat.ms else mine
        others = [o for o in self.outbound_options(t, fe, breakouts=True) if o.name != own]
        return min([mine, *others], key=lambda o: o.latency.ms)

    def _fastest(self, fe: FrontEnd, circuits: tuple[str, ...], third_party: bool) -> Searching:
        """For every site, the fastest egress towards ``fe`` (``fastest.search``, run as far
        as the sites asked for)."""
        e, geo, d = self.e, self.geo, self.design
        fe_point = geo.fe_point(fe)
        starts: list[Start] = []
        known = self.egress_ms
        for name in circuits:
            if e.igp.stub(f"ce:{name}") is None:
                continue
            lat = known.get(("circuit", name, fe.name, third_party))
            if lat is None:
                lat = geo.circuit_access(name) + geo.backbone(geo.peering(name), fe_point)
                known[("circuit", name, fe.name, third_party)] = lat
            starts.append(
                (lat.ms, len(starts), f"site:{d.circuits[name].site}", Option("circuit", name, lat))
            )
        for name, bk in d.breakouts.items():
            if not bk.up or e.igp.stub(f"edge:{name}") is None:
                continue
            lat = known.get(("breakout", name, fe.name, third_party))
            if lat is None:
                leg, near = geo.breakout_internet(name)
                lat = leg if third_party else leg + geo.backbone(geo.fe_point(near), fe_point)
                known[("breakout", name, fe.name, third_party)] = lat
            starts.append((lat.ms, len(starts), f"site:{bk.site}", Option("breakout", name, lat)))
        key = (fe.name, circuits, third_party)
        self.starts[key] = starts
        links = e.net.site_links()
        got = self.inherit(key, starts, links) if self.inherit is not None else None
        return Searching(starts, links, whole=got)

    def _far_region(self, b: Branch, opts: list[Option]) -> bool:
        """Inbound: an active/active pair inside one region is a design choice, not a defect;
        an entry in another geopolitical region than the best circuit's is (guide 000
        §7.4.1)."""
        edge = _owner(b.forward.edge)
        circuits = [o for o in opts if o.kind == "circuit"]
        if edge is None or not edge.startswith("circuit:") or not circuits:
            return True
        best = min(circuits, key=lambda o: o.latency.ms)
        cat, d = self.e.catalogs, self.design
        here = cat.peering_location(d.circuits[edge.split(":", 1)[1]].peering_location)
        there = cat.peering_location(d.circuits[best.name].peering_location)
        return here is None or there is None or here.region != there.region

    def _latency_cause(
        self, t: FlowTrace, b: Branch, best: Option, opts: list[Option]
    ) -> tuple[str, Culprit]:
        f = t.flow
        edge = _owner(b.forward.edge) or ""
        kind, _, name = edge.partition(":")
        if f.direction is Direction.INBOUND:
            if kind == "circuit":
                return "far-entry", ("circuits", name, "prepend")
            return "hairpin", ("services", f.origin, "entry")
        if f.kind == "users" and f.proxy is not None and f.start != f.origin:
            return "distant-proxy", ("sites", f.origin, "proxy")
        if kind == "circuit":
            lat = _ms(b)
            better = [
                o
                for o in opts
                if o.kind == "circuit" and o.name != name and self.slower(lat, o.latency)
            ]
            if not better and best.kind == "circuit":
                # The options follow the IGP's own paths; the fastest path is by a circuit the
                # IGP leads elsewhere (or to this one by longer links): its metric is the fix.
                better = [best]
            if better:
                alt = min(better, key=lambda o: o.latency.ms)
                tables = self.e.tables
                entry = tables.entry(f.destination)
                regional = entry.regional if isinstance(entry, Microsoft365) else frozenset()
                if tables.preference(name, regional) > tables.preference(alt.name, regional):
                    if any(r in tables.region_prefs[name] for r in regional):
                        return "region-preference", ("circuits", name, "region_preference")
                    return "local-preference", ("circuits", name, "local_preference")
                if best.kind == "circuit":
                    return "igp-metric", ("wan",)
            return "propagated", ("sites", f.start, "er_routes")
        if kind == "breakout" and best.kind == "breakout":
            # A breakout at the site itself is not distant: its own internet path is slow.
            local = self.design.breakouts[name].site == f.start
            return "slow-breakout" if local else "breakout", ("sites", f.start, "breakout")
        if kind == "breakout" and best.kind == "circuit":
            return "not-propagated", ("sites", f.start, "er_routes")
        return "hairpin", ("sites", f.origin)

    def _resolver_check(
        self, t: FlowTrace, working: list[Branch], fe: FrontEnd
    ) -> tuple[str, Culprit, Ms, Ms | None, float] | None:
        """Against the front end a resolver where the flow leaves would have answered."""
        geo = self.geo
        slow: list[tuple[Branch, Ms]] = []
        answered = geo.fe_point(fe)
        for b in working:
            entry = self._entry_point(b)
            if entry is None:
                continue
            near = geo.nearest_front_end(entry)
            if near.name == fe.name:
                continue
            there = geo.backbone(entry, answered).ms - geo.backbone(entry, geo.fe_point(near)).ms
            local = Ms(max(0.0, _ms(b).ms - there), _ms(b).estimated)
            if self.slower(_ms(b), local):
                slow.append((b, local))
        if not slow:
            return None
        worst, local = max(slow, key=lambda x: x[0].ms)
        culprit = ("sites", t.flow.start, "resolver_egress")
        return "distant-resolver", culprit, _ms(worst), local, sum(b.weight for b, _ in slow)

    def _entry_point(self, b: Branch) -> Point | None:
        edge = _owner(b.forward.edge)
        if edge is None:
            return None
        kind, _, name = edge.partition(":")
        if kind == "circuit":
            return self.geo.peering(name)
        _, near = self.geo.breakout_internet(name)
        return self.geo.fe_point(near)


def _origin_site(f: Flow) -> str:
    """The site whose users (or server) the flow starts from: latency is judged from there."""
    return f.origin if f.kind == "users" else f.start


def _ms(b: Branch) -> Ms:
    return Ms(b.ms, b.estimated)


_owner = edge_owner


__all__ = ["CAUSES", "ZERO", "Judge", "Judgement", "Option"]
