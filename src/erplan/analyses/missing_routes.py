"""Why a site router holds no ExpressRoute route for a Microsoft destination: the site takes
none (route scope), every circuit that would carry it is down, or no circuit's route filter
admits it. Each reason names the design object a fix must change; a packet that falls to the
default route for one of these reasons is refused at a proxy-only site, or leaves by the
internet where the design meant a circuit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from erplan.analyses.causes import Culprit
from erplan.engine import Engine, Flow, Path
from erplan.engine.routes import Microsoft365
from erplan.facts import LINKS, MAX_PREFIXES_PER_SESSION, link_advertisements

# Cause keys, one per reason (erplan.analyses.causes).
NOT_PROPAGATED = "direct-not-propagated"
CIRCUIT_DOWN = "direct-circuit-down"
NOT_ADMITTED = "direct-not-admitted"
KEYS = frozenset((NOT_PROPAGATED, CIRCUIT_DOWN, NOT_ADMITTED))


class Missing(NamedTuple):
    """Why a router has no ExpressRoute route: the reason's key, in words, and what to fix."""

    key: str
    why: str
    culprit: Culprit


def missing_route(
    engine: Engine, router: str, dst: int, also: Iterable[int] = ()
) -> Missing | None:
    """Why site router ``router`` has no ExpressRoute route for ``dst``; None when ``dst`` is
    not a prefix Microsoft advertises over ExpressRoute (its only route is the default) or when
    none of the three reasons holds (the router has one, unless the WAN cuts it off). ``also``:
    the other destinations of a row that shares the trace, whose services the reason names too
    (one route class: the same circuits admit them)."""
    tables, design = engine.tables, engine.design
    entry = tables.routes.entry(dst)
    node = engine.net.nodes[router]
    if not isinstance(entry, Microsoft365) or node.site is None or not design.circuits:
        return None
    site = node.site
    communities = set(entry.communities)
    for other in also:
        found = tables.routes.entry(other)
        if isinstance(found, Microsoft365):
            communities |= found.communities
    names = ", ".join(sorted(_services(engine, frozenset(communities))))
    admitting = [c for c in design.circuits if tables.routes.admits[c] & entry.communities]
    if not admitting:
        c = _nearest(engine, router, list(design.circuits))
        why = (
            f"no circuit's route filter admits {names}: circuit {c}'s admits "
            f"{', '.join(design.circuits[c].route_filter) or 'nothing'}"
        )
        return Missing(NOT_ADMITTED, why, ("circuits", c, "route_filter"))
    # The site's scope first: it is the design's and holds in every state, so a failure that
    # downs a circuit does not change why a scoped site has no route (the failure sweep keeps
    # such a row as it was, and a design written with that circuit down says the same).
    up = [c for c in admitting if tables.links_up[c]]
    if not design.sites[site].er_routes:
        why = (
            f"site {site} takes no ExpressRoute routes (er_routes: false), although circuit "
            f"{_nearest(engine, router, up or admitting)} carries {names}"
        )
        return Missing(NOT_PROPAGATED, why, ("sites", site, "er_routes"))
    if not up:
        c = _nearest(engine, router, admitting)
        what, culprit = _down(engine, c)
        why = f"circuit {c}, which carries {names}, is down ({what})"
        return Missing(CIRCUIT_DOWN, why, culprit)
    return None


def refused(
    engine: Engine, path: Path, dst: int | None = None, also: Iterable[int] = ()
) -> Missing | None:
    """Why the perimeter refused ``path`` (cause ``no-direct-internet``): the reason the router
    it ended at had no ExpressRoute route, so that the packet fell to the default route; None
    for another cause, or when the destination has no ExpressRoute route to miss. ``dst``: the
    destination to name the services of, when the path was traced for another one of its
    class (else the packet's); ``also``: the row's other destinations (``missing_route``)."""
    if path.cause != "no-direct-internet" or not path.hops:
        return None
    last = path.hops[-1]
    return missing_route(engine, last.node, last.dst if dst is None else dst, also)


def destinations(flows: Iterable[Flow]) -> tuple[int, ...]:
    """Every address the flows of a row connect to (each geoDNS answer's too), once each."""
    seen: dict[int, None] = {}
    for f in flows:
        if f.destination:
            seen[f.destination] = None
        seen.update((a, None) for _, a, _ in f.answers)
    return tuple(seen)


def not_expressroutable(flows: Iterable[Flow]) -> str:
    """What a row's reason adds for its endpoint sets that are not ExpressRoute-able at all:
    no route filter or route scope reaches them (guide 000 §2.1, only some endpoints are);
    empty when every set is."""
    sets = sorted(
        {f.endpoint_set for f in flows if f.endpoint_set is not None and not f.express_route}
    )
    if not sets:
        return ""
    many = len(sets) != 1
    return (
        f"; endpoint set{'s' if many else ''} {', '.join(map(str, sets))} of this row "
        f"{'are' if many else 'is'} not ExpressRoute-able at all: no circuit can carry "
        f"{'them' if many else 'it'}, only the proxy (the PAC file)"
    )


def breakout_cut_off(engine: Engine, router: str) -> tuple[str, str] | None:
    """Why site router ``router`` has no default route although a breakout is up: (device,
    breakout) for a device that is down between that breakout and its site router, which
    ``router`` reaches; its own site's breakout first, else the nearest by IGP. None when no
    breakout is up or the WAN, not a device, cuts the router off."""
    net, igp, design = engine.net, engine.tables.igp, engine.design
    node = net.nodes[router]
    if node.site is None:
        return None
    found: list[tuple[bool, int, str, str]] = []
    designated = design.site_breakout(node.site)
    for i, (name, bk) in enumerate(design.breakouts.items()):
        wire = net.wires.get(f"site:{bk.site}", {}).get(f"edge:{name}")
        if not bk.up or wire is None or wire.up or not igp.reachable(router, f"site:{bk.site}"):
            continue
        down = [d for d in wire.devices if not net.nodes[d].up]
        if down:
            found.append((name != designated, i, net.nodes[down[0]].name, name))
    if not found:
        return None
    # The design's order on a tie of distance, as the tables choose among equal breakouts.
    _, _, device, name = min(
        found,
        key=lambda x: (x[0], igp.distance(router, f"site:{design.breakouts[x[3]].site}"), x[1]),
    )
    return device, name


def _services(engine: Engine, communities: frozenset[str]) -> set[str]:
    """The route-filter services of these communities, by name (the community if unknown)."""
    out: set[str] = set()
    for c in communities:
        record = engine.catalogs.service(c)
        out.add(record.name if record is not None else c)
    return out


def _nearest(engine: Engine, router: str, circuits: list[str]) -> str:
    """The circuit whose customer edge is nearest to ``router`` by IGP (the design's order on
    a tie, and among those it cannot reach)."""
    igp = engine.tables.igp
    return min(circuits, key=lambda c: igp.distance(router, f"ce:{c}"))


def _down(engine: Engine, circuit: str) -> tuple[str, Culprit]:
    """Why no link of ``circuit`` holds a session, and the design object to bring up."""
    design = engine.design
    c = design.circuits[circuit]
    if not c.up:
        return "up: false", ("circuits", circuit, "up")
    for link in LINKS:
        if link in c.links and not c.links[link].up:
            return f"its {link.value} link is down", (
                "circuits",
                circuit,
                "links",
                link.value,
                "up",
            )
        if len(link_advertisements(design, circuit, link)) > MAX_PREFIXES_PER_SESSION:
            return (
                f"its {link.value} link advertises more than {MAX_PREFIXES_PER_SESSION} prefixes: "
                "Microsoft drops the session",
                ("circuits", circuit, "advertises"),
            )
    net = engine.net
    for link in LINKS:
        lid = f"link:{circuit}/{link.value}"
        for a, b in ((f"ce:{circuit}", lid), (lid, f"msee:{circuit}/{link.value}")):
            wire = net.wires[a][b]
            down = [d for d in wire.devices if not net.nodes[d].up]
            if down:
                name = net.nodes[down[0]].name
                return f"device {name} on its {link.value} link is down", ("devices", name, "up")
    return "no link holds a session", ("circuits", circuit)
