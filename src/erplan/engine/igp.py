"""The customer network's IGP: distances and equal-cost next hops between customer routers.

Sites are joined by WAN links (cost = the link's cost, else its latency, in exact integer
micro-units); the routers of one site hang under its site router in a tree whose wires cost
nothing. Every router forwards towards a destination over every next hop on a shortest path, as
OSPF does.

Shortest-path trees are grown per root site on demand (the searches are ``engine.wan``'s, over
plain data; this module keeps what they found, per state and failure). Towards a site that is no
root (an origin site, for replies) the next hops come from the tree of the site the walk started
at: IGP costs are symmetric, so the shortest paths from there to the destination, read
backwards, are the destination's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from erplan.engine.network import Network
from erplan.engine.nodes import Kind
from erplan.engine.wan import INF as INF
from erplan.engine.wan import Wan, bridges, next_hops, parts, repair, shortest, split, tight
from erplan.latency import ZERO, Ms


class Igp:
    def __init__(self, net: Network, like: Igp | None = None) -> None:
        """``like``: an IGP over a network that this one copied (``Network.with_down``): the
        WAN neighbours of a router whose wires are the very same are taken from it."""
        self.net = net
        self._trees: dict[str, dict[str, int]] = {}
        self._dags: dict[str, list[dict[str, tuple[str, ...]]]] = {}
        self._preds: dict[str, dict[str, tuple[str, ...]]] = {}  # per tree (``_dag``)
        self._stub: dict[str, tuple[str, ...] | None] = {}
        theirs = like.net.wires if like is not None else {}
        self._wan: Wan = {
            r: like._wan[r]
            if like is not None and theirs.get(r) is ws
            else tuple((v, w.cost) for v, w in ws.items() if w.up and v.startswith("site:"))
            for r, ws in net.wires.items()
            if r.startswith("site:")
        }
        self._lat: dict[str, dict[str, Ms]] = {}
        self._comp: dict[str, int] = {}
        # Trees of the IGP before WAN wires ``_cut`` went down (``without``), to repair.
        self._before: dict[str, dict[str, int]] = {}
        self._cut: list[tuple[str, str, int]] = []
        self._lat_before: dict[str, dict[str, Ms]] = {}
        self._stale: dict[str, set[str]] = {}  # per repaired tree, the routers searched again
        # Roots whose trees were taken whole from another IGP (or share its tables).
        self._kept: AbstractSet[str] = set()
        self._bridge_set: set[frozenset[str]] | None = None

    def without(self, net: Network, down: list[tuple[str, str]]) -> Igp:
        """This IGP on ``net``: the same network with the WAN wires ``down`` (site router
        pairs) down. Stubs lie inside sites and are kept; so is every tree (and the latencies
        along it) in which no wire down is on a shortest path: with costs above zero, its
        distances cannot change. The other trees are repaired when asked for (``tree``)."""
        got = Igp.__new__(Igp)
        got.net = net
        got._stub = dict(self._stub)
        gone = {(a, b) for a, b in down} | {(b, a) for a, b in down}
        got._wan = dict(self._wan)
        for a, _ in gone:
            got._wan[a] = tuple((v, c) for v, c in got._wan[a] if (a, v) not in gone)
        cut = [(a, b, c) for a, b in gone for v, c in self._wan.get(a, ()) if v == b]
        got._trees, got._lat, got._dags, got._comp, got._preds = {}, {}, {}, {}, {}
        got._before, got._cut, got._lat_before, got._stale = {}, cut, {}, {}
        got._kept = set()
        got._bridge_set = None
        if len(gone) == 2 and len(cut) == 2 and frozenset(down[0]) not in self._bridges():
            # One wire down that is no bridge: every site reaches what it reached before.
            self.component(down[0][0])
            got._comp = self._comp
        elif len(gone) == 2 and len(cut) == 2:
            # A bridge: its part splits in two; only the side found first is numbered anew.
            self.component(down[0][0])
            got._comp = split(self._comp, got._wan, *down[0])
        if len(cut) == len(gone) and all(c > 0 for _, _, c in cut):
            for root, dist in self._trees.items():
                if any(tight(dist, a, b, c) for a, b, c in cut):
                    got._before[root] = dist
                    if root in self._lat:
                        got._lat_before[root] = self._lat[root]
                else:
                    got._trees[root] = dist
                    got._kept.add(root)
                    if root in self._lat:
                        got._lat[root] = self._lat[root]
        return got

    def _bridges(self) -> set[frozenset[str]]:
        """The WAN wires (up) whose loss splits a part of the WAN (found once)."""
        if self._bridge_set is None:
            self._bridge_set = bridges(self._wan)
        return self._bridge_set

    def inherit(self, other: Igp, *, share: bool = False) -> None:
        """Take ``other``'s trees, paths and latencies when the WAN is the same (a failure
        inside sites: a circuit, a breakout, a device): they read the WAN alone. Stubs,
        which lie inside sites, stay this IGP's own. With ``share``, the very tables: what
        either grows afterwards the other has too (every IGP over this WAN would grow the
        same)."""
        if self._wan != other._wan or other._before:
            return
        if share:
            self._trees, self._lat, self._dags = other._trees, other._lat, other._dags
            self._comp = other._comp
            self._kept = self._trees.keys()
            return
        self._trees = dict(other._trees)
        self._lat = dict(other._lat)
        self._dags = {k: list(v) for k, v in other._dags.items()}
        self._comp = dict(other._comp)
        self._kept = set(other._trees)

    def kept(self, root: str, router: str) -> bool:
        """Whether the distance and latency between site routers ``root`` and ``router`` are
        those of the IGP this one was derived from (``without``, ``inherit``): the tree of
        ``root`` was taken whole, or repaired without searching ``router`` again. False when
        this IGP cannot tell."""
        if root in self._kept:
            return True
        if root in self._before:
            self.tree(root)
        stale = self._stale.get(root)
        return stale is not None and router not in stale

    def _repair(self, root: str, old: dict[str, int]) -> dict[str, int]:
        """The tree ``old`` of the IGP before wires ``_cut`` went down, searched again only
        below them (``wan.repair``)."""
        done, self._stale[root] = repair(self._wan, old, self._cut)
        return done

    # -- stubs ------------------------------------------------------------------------------------
    def stub(self, router: str) -> tuple[str, ...] | None:
        """Routers from ``router`` up to its site router; None when a wire on the way is down."""
        if router in self._stub:
            return self._stub[router]
        nodes, wires = self.net.nodes, self.net.wires
        path = [router]
        node = nodes[router]
        out: tuple[str, ...] | None
        while node.parent is not None:
            if not wires[node.id][node.parent].up:
                out = None
                break
            path.append(node.parent)
            node = nodes[node.parent]
        else:
            out = tuple(path)
        self._stub[router] = out
        return out

    def _ancestry(self, router: str) -> list[str]:
        nodes = self.net.nodes
        out = [router]
        node = nodes[router]
        while node.parent is not None:
            out.append(node.parent)
            node = nodes[node.parent]
        return out

    # -- trees ------------------------------------------------------------------------------------
    def tree(self, root: str) -> dict[str, int]:
        """Distance from every site router to site router ``root``."""
        got = self._trees.get(root)
        if got is not None:
            return got
        old = self._before.pop(root, None)
        if old is not None:
            got = self._trees[root] = self._repair(root, old)
            return got
        dist = shortest(self._wan, root)
        self._trees[root] = dist
        return dist

    def latency(self, a: str, b: str) -> Ms | None:
        """Round trip between site routers ``a`` and ``b`` along the IGP's path (the fastest of
        equal-cost ones); None when the WAN does not join them."""
        lat = self._lat.get(b)
        if lat is None:
            dist = self.tree(b)
            lat = {b: ZERO}
            todo: Iterable[str] = dist
            old = self._lat_before.pop(b, None)
            stale = self._stale.get(b)
            if old is not None and stale is not None:
                # A repaired tree: off the routers searched again, paths and latencies hold.
                lat = {k: x for k, x in old.items() if k not in stale}
                todo = (v for v in stale if v in dist)
            wires = self.net.wires
            for v in sorted(todo, key=dist.__getitem__):
                if v == b:
                    continue
                best: Ms | None = None
                for u, cost in self._wan[v]:
                    if u in lat and dist.get(u, INF) + cost == dist[v]:
                        cand = lat[u] + wires[v][u].leg
                        if best is None or cand.ms < best.ms:
                            best = cand
                if best is not None:
                    lat[v] = best
            self._lat[b] = lat
        return lat.get(a)

    def site_distance(self, a: str, b: str) -> int:
        """IGP distance between site routers (the tree of ``b`` is the one grown: callers ask
        for few targets and many sources)."""
        if b not in self._trees and (a in self._trees or a in self._before):
            return self.tree(a).get(b, INF)
        return self.tree(b).get(a, INF)

    def component(self, site: str) -> int:
        """Which part of the WAN a site router is in (sites in different parts cannot reach
        each other)."""
        if not self._comp:
            self._comp.update(parts(self._wan))
        return self._comp[site]

    def reachable(self, router: str, target: str) -> bool:
        """Whether ``router`` reaches ``target`` at all (no distance computed)."""
        nodes = self.net.nodes
        rs, ts = nodes[router].site, nodes[target].site
        if rs == ts:
            return router == target or self._inside(router, target) is not None
        if self.stub(router) is None or self.stub(target) is None:
            return False
        return self.component(f"site:{rs}") == self.component(f"site:{ts}")

    def distance(self, router: str, target: str) -> int:
        """IGP distance between two customer routers; INF when unreachable."""
        if router == target:
            return 0
        nodes = self.net.nodes
        rs, ts = nodes[router].site, nodes[target].site
        if rs == ts:
            return 0 if self._inside(router, target) is not None else INF
        if self.stub(router) is None or self.stub(target) is None:
            return INF
        return self.site_distance(f"site:{rs}", f"site:{ts}")

    # -- next hops --------------------------------------------------------------------------------
    def _inside(self, router: str, target: str) -> str | None:
        """Next router towards ``target`` in the same site's tree (None: a wire down)."""
        up_r, up_t = self._ancestry(router), self._ancestry(target)
        on_t = set(up_t)
        common = next(x for x in up_r if x in on_t)
        nxt = self.net.nodes[router].parent if router != common else up_t[up_t.index(common) - 1]
        assert nxt is not None
        if not self.net.wires[router][nxt].up:
            return None
        if nxt != target and self._inside(nxt, target) is None:
            return None
        return nxt

    def toward(self, router: str, target: str) -> tuple[str, ...]:
        """Every IGP next hop from ``router`` towards customer router ``target``."""
        if router == target:
            return ()
        nodes = self.net.nodes
        rn, tn = nodes[router], nodes[target]
        if rn.site == tn.site:
            nxt = self._inside(router, target)
            return () if nxt is None else (nxt,)
        if self.stub(target) is None:
            return ()
        if rn.kind is not Kind.SITE:
            parent = rn.parent
            assert parent is not None
            return (parent,) if self.net.wires[router][parent].up else ()
        return self.wan_next(router, f"site:{tn.site}")

    def wan_next(self, site: str, target: str) -> tuple[str, ...]:
        """Equal-cost WAN next hops from site router ``site`` to site router ``target``."""
        dist = self._trees.get(target)
        if dist is not None:
            here = dist.get(site)
            if here is None:
                return ()
            return tuple(sorted(v for v, c in self._wan[site] if dist.get(v, INF) + c == here))
        for dag in self._dags.get(target, ()):
            if site in dag:
                return dag[site]
        dag = self._dag(site, target)
        self._dags.setdefault(target, []).append(dag)
        return dag.get(site, ())

    def _dag(self, root: str, target: str) -> dict[str, tuple[str, ...]]:
        """Next hops towards ``target`` at every site on a shortest ``root``-``target`` path."""
        dist = self.tree(root)
        return next_hops(self._preds_of(root, dist), target) if target in dist else {}

    def _preds_of(self, root: str, dist: dict[str, int]) -> dict[str, tuple[str, ...]]:
        """Per site router, its neighbours one wire nearer to ``root`` on a shortest path: found
        once per tree, not per target (a hub has thousands of neighbours)."""
        got = self._preds.get(root)
        if got is None:
            wan = self._wan
            got = self._preds[root] = {
                v: tuple(u for u, cost in wan[v] if dist.get(u, INF) + cost == d)
                for v, d in dist.items()
            }
        return got
