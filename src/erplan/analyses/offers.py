"""What the design offers an origin towards a front end: every circuit and breakout it may
leave (or, inbound, enter) by, each with its latency, and the fastest of them by the search over
the WAN (``fastest``); a failed state's taken from the baseline's where they cannot differ. The
judge (``judge``) compares what a flow gets against these."""

from __future__ import annotations

from collections.abc import Callable

from erplan.analyses.fastest import Links, Option, Searching, Start, Table
from erplan.catalogs import FrontEnd
from erplan.engine import Engine, Flow, FlowTrace
from erplan.engine.igp import INF
from erplan.engine.origins import Resolving
from erplan.engine.routes import Microsoft365
from erplan.latency import Ms

# A failed state's fastest-egress search derived from the baseline's (key, starts, WAN legs).
Inheriting = Callable[[tuple[object, ...], list[Start], Links], Searching | None]
_TIE_MS = 1e-6  # options this close to the best are as fast: tied


class Offers:
    """The options one engine's design offers, worked out once per key and kept."""

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
        self.inherit: Inheriting | None = None
        # A failed state's options derived from the baseline's (key, site router -> options,
        # or None when they must be worked out: ``failed_state.KnownOptions``).
        self.known_options: Callable[[tuple[object, ...], str], list[Option] | None] | None = None
        # Likewise for the inbound options (site, front end -> options, or None: work them out).
        self.known_inbound: Callable[[str, str], list[Option] | None] | None = None
        # A failed state whose egresses are the baseline's (only WAN links down): the baseline
        # judge's starts, by key (``_starts`` would make the same ones again).
        self.known_starts: dict[tuple[object, ...], list[Start]] | None = None

    def table(self, key: tuple[object, ...]) -> Table | None:
        """The fastest-egress table searched for ``key`` (front end, circuits, third party)."""
        got = self._maps.get(key)
        return None if got is None else got.table()

    def options(self) -> dict[tuple[object, ...], list[Option]]:
        """The options worked out so far (``outbound_options``), by key."""
        return self._best

    def inbound(self) -> dict[tuple[str, str], list[Option]]:
        """The inbound options worked out so far (``inbound_options``), by (site, front end)."""
        return self._inbound

    def front_end(self, t: FlowTrace) -> FrontEnd | None:
        return self.e.catalogs.front_end(t.flow.front_end) if t.flow.front_end else None

    def outbound_options(
        self, t: FlowTrace, fe: FrontEnd, *, breakouts: bool = False
    ) -> list[Option]:
        """The circuits (and, if asked, the breakouts) the design offers the flow's start site
        towards front end ``fe``, each with its latency."""
        f = t.flow
        entry = self.e.tables.routes.entry(f.destination)
        communities = entry.communities if isinstance(entry, Microsoft365) else frozenset()
        origin = _origin_site(f)
        key = (origin, fe.name, communities, f.third_party, breakouts)
        got = self._best.get(key)
        if got is not None:
            return got
        e, geo, d = self.e, self.geo, self.design
        site = f"site:{origin}"
        got = self.known_options(key, site) if self.known_options is not None else None
        if got is not None:
            self._best[key] = got
            return got
        fe_point = geo.fe_point(fe)
        out: list[Option] = []
        for name, c in d.circuits.items():
            if not (e.tables.routes.admits[name] & communities) or not e.tables.links_up[name]:
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
            known = self.known_inbound
            got = known(site, fe.name) if known is not None else None
            if got is None:
                got = self._inbound_options(site, fe)
            self._inbound[(site, fe.name)] = got
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

    def best_for(self, t: FlowTrace, fe: FrontEnd) -> Option | None:
        """The best the design offers an outbound flow towards ``fe``; for one whose names a
        proxy resolves by itself, so that the answer follows the proxy's egress, the best the
        users' own site has too: towards the front end their own resolver answers."""
        best = self.best_outbound(t, fe)
        f = t.flow
        if f.kind != "users" or self.e.tracer.resolving(f).proxy is None:
            return best
        answers = self.e.tracer.answers(Resolving(f.origin))
        if not answers or answers[0][0].name == fe.name:
            return best
        alt = self.best_outbound(t, answers[0][0])
        if alt is None or (best is not None and best.latency.ms <= alt.latency.ms):
            return best
        return alt

    def _searching(self, f: Flow, fe: FrontEnd) -> Searching:
        """The fastest-egress search towards ``fe`` over the circuits that carry the flow."""
        entry = self.e.tables.routes.entry(f.destination)
        communities = entry.communities if isinstance(entry, Microsoft365) else frozenset()
        tables = self.e.tables
        circuits = tuple(
            c
            for c in self.design.circuits
            if tables.routes.admits[c] & communities and tables.links_up[c]
        )
        key = (fe.name, circuits, f.third_party)
        table = self._maps.get(key)
        if table is None:
            table = self._fastest(fe, circuits, f.third_party)
            self._maps[key] = table
        return table

    def fastest_from(self, f: Flow, fe: FrontEnd, site: str) -> Option | None:
        """The fastest way out from ``site`` towards ``fe`` for ``f``'s destination (a
        circuit's own site, which the circuit is weighed against)."""
        return self._searching(f, fe).get(f"site:{site}")

    def legs_from(self, f: Flow, fe: FrontEnd, site: str) -> set[frozenset[str]]:
        """The WAN legs on some fastest path from ``site`` to its way out towards ``fe``
        (``fastest_from``): a WAN failure off them leaves that way out as fast."""
        return self._searching(f, fe).tight_legs(f"site:{site}", _TIE_MS)

    def tied_outbound(self, f: Flow, fe: FrontEnd, best: Option) -> list[Option]:
        """Every egress as fast from the flow's site as ``best``, not only the one the search
        met first (``best`` alone when it is not the search's own label for the site)."""
        search = self._searching(f, fe)
        site = f"site:{_origin_site(f)}"
        label = search.get(site)
        if label is None or abs(label.latency.ms - best.latency.ms) > _TIE_MS:
            return [best]
        return tied_options(best, search.tied(site, _TIE_MS))

    def best_outbound(self, t: FlowTrace, fe: FrontEnd) -> Option | None:
        """The fastest way the design offers the flow's start site to ``fe``."""
        f = t.flow
        table = self._searching(f, fe)
        origin = _origin_site(f)
        best = table.get(f"site:{origin}")
        d, geo = self.design, self.geo
        given = d.sites[origin].internet_latency_ms
        if given is None:
            return best
        owns = [b for b in self.e.tracer.internet_egress(origin) if d.breakouts[b].up]
        if not owns:
            return best
        # The site's given figure replaces the estimate of its internet egress's legs.
        mine_all = []
        for own in owns:
            lat = Ms(given, False)
            if not f.third_party:
                _, near = geo.breakout_internet(own)
                lat = lat + geo.backbone(geo.fe_point(near), geo.fe_point(fe))
            mine_all.append(Option("breakout", own, lat))
        mine = min(mine_all, key=lambda o: o.latency.ms)
        if best is not None and not (best.kind == "breakout" and best.name in owns):
            return best if best.latency.ms <= mine.latency.ms else mine
        others = [o for o in self.outbound_options(t, fe, breakouts=True) if o.name not in owns]
        return min([mine, *others], key=lambda o: o.latency.ms)

    def _fastest(self, fe: FrontEnd, circuits: tuple[str, ...], third_party: bool) -> Searching:
        """For every site, the fastest egress towards ``fe`` (``fastest.search``, run as far
        as the sites asked for)."""
        key = (fe.name, circuits, third_party)
        starts = self.known_starts.get(key) if self.known_starts is not None else None
        if starts is None:
            starts = self._starts(fe, circuits, third_party)
        self.starts[key] = starts
        links = self.e.net.site_links()
        got = self.inherit(key, starts, links) if self.inherit is not None else None
        return got if got is not None else Searching(starts, links)

    def _starts(self, fe: FrontEnd, circuits: tuple[str, ...], third_party: bool) -> list[Start]:
        """Every egress still usable towards ``fe``, at its own latency, in the design's order."""
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
        return starts


def tied_options(best: Option, opts: list[Option]) -> list[Option]:
    """The options as fast as ``best`` (best among them), each once, by kind and name."""
    got = {(o.kind, o.name): o for o in opts if abs(o.latency.ms - best.latency.ms) <= _TIE_MS}
    got.setdefault((best.kind, best.name), best)
    return [got[k] for k in sorted(got)]


def _origin_site(f: Flow) -> str:
    """The site whose users (or server) the flow starts from: latency is judged from there."""
    return f.origin if f.kind == "users" else f.start
