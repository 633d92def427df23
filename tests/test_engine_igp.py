"""The customer network's IGP (engine/igp.py): every equal-cost next hop, distances by cost, the
latency of the fastest equal-cost path, sites the WAN does not join, and a WAN with links down
computed from the IGP before the failure (docs/flow-semantics.md "Routing": "WAN links that are
up, cost = cost, else the latency ... Every equal-cost next hop is used")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from _designs import CATALOGS, load
from _semantics import design, site, two_sites
from erplan.engine import Engine
from erplan.engine.build import COST_SCALE
from erplan.engine.igp import INF, Igp

SITES = ("a", "b", "c", "d", "e")


def engine(data: dict[str, Any]) -> Engine:
    return Engine(load(data).design, CATALOGS)


def _diamond(**link_extra: Any) -> dict[str, Any]:
    """a - b - d and a - c - d at equal cost (10 + 10), a - d directly at 25, e alone; the
    b route is faster (latency) than the c route."""
    return design(
        sites={
            name: site("New York", f"10.{i}.0.0/16", users=10)
            for i, name in enumerate(SITES, start=1)
        },
        wan=[
            {"between": ["a", "b"], "latency_ms": 4, "cost": 10, **link_extra},
            {"between": ["b", "d"], "latency_ms": 4, "cost": 10},
            {"between": ["a", "c"], "latency_ms": 9, "cost": 10},
            {"between": ["c", "d"], "latency_ms": 9, "cost": 10},
            {"between": ["a", "d"], "latency_ms": 1, "cost": 25},
        ],
    )


def test_every_equal_cost_next_hop_is_used() -> None:
    igp = engine(_diamond()).igp
    assert igp.wan_next("site:a", "site:d") == ("site:b", "site:c")
    assert igp.wan_next("site:d", "site:a") == ("site:b", "site:c")
    assert igp.wan_next("site:b", "site:d") == ("site:d",)
    assert igp.toward("site:a", "site:d") == ("site:b", "site:c")
    # by b or c (10 + 10), not by the direct link (25), the fastest
    assert igp.distance("site:a", "site:d") == 20 * COST_SCALE
    assert igp.distance("site:a", "site:b") == 10 * COST_SCALE


def test_the_latency_is_that_of_the_fastest_equal_cost_path() -> None:
    """flow-semantics: the IGP chooses by cost; of the paths it uses, the latency reported is
    the fastest one's (a - b - d, 8 ms), in both directions."""
    igp = engine(_diamond()).igp
    for x, y in (("a", "d"), ("d", "a")):
        lat = igp.latency(f"site:{x}", f"site:{y}")
        assert lat is not None and lat.ms == 8 and not lat.estimated
    one = igp.latency("site:a", "site:b")
    assert one is not None and one.ms == 4
    same = igp.latency("site:a", "site:a")
    assert same is not None and same.ms == 0


def test_sites_the_wan_does_not_join_are_unreachable() -> None:
    igp = engine(_diamond()).igp
    assert igp.distance("site:a", "site:e") == INF
    assert igp.latency("site:a", "site:e") is None
    assert not igp.reachable("site:a", "site:e")
    assert igp.reachable("site:a", "site:d")
    assert igp.reachable("site:e", "site:e")  # a router reaches itself, WAN or not
    assert igp.wan_next("site:a", "site:e") == ()
    assert igp.component("site:a") == igp.component("site:d") != igp.component("site:e")


def test_a_link_down_is_routed_around() -> None:
    igp = engine(_diamond(up=False)).igp
    assert igp.wan_next("site:a", "site:d") == ("site:c",)
    lat = igp.latency("site:a", "site:d")
    assert lat is not None and lat.ms == 18
    assert igp.wan_next("site:a", "site:b") == ("site:c",)  # a - c - d - b, the only way left


def _routes(e: Engine) -> dict[tuple[str, str], tuple[object, ...]]:
    out: dict[tuple[str, str], tuple[object, ...]] = {}
    for x in SITES:
        for y in SITES:
            sx, sy = f"site:{x}", f"site:{y}"
            lat = e.igp.latency(sx, sy)
            out[(x, y)] = (
                e.igp.distance(sx, sy),
                e.igp.wan_next(sx, sy) if x != y else (),
                None if lat is None else round(lat.ms, 9),
                e.igp.reachable(sx, sy),
            )
    return out


@pytest.mark.parametrize(
    "down",
    [[("a", "b")], [("a", "d")], [("b", "d"), ("c", "d")], [("a", "b"), ("a", "c")]],
)
def test_the_igp_after_links_go_down_equals_one_computed_afresh(
    down: list[tuple[str, str]],
) -> None:
    """What `erplan failures` relies on: the IGP of the WAN with links down, repaired from the
    IGP before (``without``), answers every distance, next hop and latency as an IGP computed
    on that WAN from nothing - whichever trees were grown before the failure."""
    base = engine(_diamond())
    _routes(base)  # grow every tree and latency table before the failure
    d = copy.deepcopy(_diamond())
    for link in d["wan"]:
        if tuple(link["between"]) in down:
            link["up"] = False
    fresh = engine(d)
    repaired = base.igp.without(fresh.net, [(f"site:{a}", f"site:{b}") for a, b in down])
    fresh_routes = _routes(fresh)
    fresh.igp = repaired
    assert _routes(fresh) == fresh_routes


def test_trees_a_failure_leaves_alone_are_kept_with_or_without_their_latencies() -> None:
    """a - d (cost 25) is on no shortest path: with it down every tree grown before is kept
    whole (``without``), whether its latencies were asked or not; the repaired IGP then
    answers every distance and latency as a fresh one."""
    base = engine(_diamond())
    for x in SITES:
        for y in SITES:
            base.igp.distance(f"site:{x}", f"site:{y}")
    base.igp.latency("site:a", "site:d")  # one tree with its latencies, the others without
    d = _diamond()
    d["wan"][4]["up"] = False  # a - d
    fresh = engine(d)
    want = _routes(fresh)
    repaired = base.igp.without(fresh.net, [("site:a", "site:d")])
    # d's tree was grown with its latencies, b's without: both kept across the failure
    assert repaired.kept("site:d", "site:a") and repaired.kept("site:b", "site:a")
    fresh.igp = repaired
    assert _routes(fresh) == want


def _ladder() -> dict[str, Any]:
    """a - b - c - x - y (cost 1 each but x - y 10), a - e (5), e - d (1), d - c (1), d - x
    (10): with a - b down, a reaches x first over d - x (16), then better over c (8), and y
    only after x."""
    names = ("a", "b", "c", "d", "e", "x", "y")
    links = [("a", "b", 1), ("b", "c", 1), ("c", "x", 1), ("x", "y", 10), ("a", "e", 5)]
    links += [("e", "d", 1), ("d", "c", 1), ("d", "x", 10)]
    return design(
        sites={n: site("New York", f"10.{i}.0.0/16") for i, n in enumerate(names, start=1)},
        wan=[{"between": [p, q], "latency_ms": c, "cost": c} for p, q, c in links],
    )


def _all_routes(e: Engine, names: tuple[str, ...]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (x, y): (
            e.igp.distance(f"site:{x}", f"site:{y}"),
            e.igp.wan_next(f"site:{x}", f"site:{y}") if x != y else (),
            e.igp.latency(f"site:{x}", f"site:{y}"),
        )
        for x in names
        for y in names
    }


@pytest.mark.parametrize("grown", ["distances", "latencies"])
def test_a_repaired_igp_finds_paths_that_improve_on_the_first_found(grown: str) -> None:
    """The repair searches again only below the link down: there a site first reached by a
    long way must still get its shortest distance when a better way turns up, and every site
    behind it must be reached. Before the failure either the distances alone or the
    latencies too were computed (`erplan failures` asks for both)."""
    names = ("a", "b", "c", "d", "e", "x", "y")
    base = engine(_ladder())
    for x in names:
        for y in names:
            if grown == "distances":
                base.igp.distance(f"site:{x}", f"site:{y}")
            else:
                base.igp.latency(f"site:{x}", f"site:{y}")
    d = _ladder()
    d["wan"][0]["up"] = False
    fresh = engine(d)
    want = _all_routes(fresh, names)
    assert want[("a", "x")][0] == 8 * COST_SCALE  # a-e-d-c-x, not a-e-d-x (16)
    assert want[("a", "y")][0] == 18 * COST_SCALE
    fresh.igp = base.igp.without(fresh.net, [("site:a", "site:b")])
    assert _all_routes(fresh, names) == want


def test_a_repaired_igp_tells_which_distances_it_kept() -> None:
    """``kept`` (what `erplan failures` reuses the baseline's options by): with x - y down, a
    tree through that link is repaired when asked and says which routers it did not search
    again - their distances and latencies are the baseline's - and which it did (y, behind
    the link, and every router whose way to y crossed it)."""
    names = ("a", "b", "c", "d", "e", "x", "y")
    base = engine(_ladder())
    for x in names:
        for y in names:
            base.igp.latency(f"site:{x}", f"site:{y}")
    d = _ladder()
    d["wan"][3]["up"] = False  # x - y
    fresh = engine(d)
    repaired = base.igp.without(fresh.net, [("site:x", "site:y")])
    kept = {(r, y) for r in names for y in names if repaired.kept(f"site:{r}", f"site:{y}")}
    near = ("a", "b", "c", "d", "e", "x")
    assert {y for r, y in kept if r == "b"} == set(near)
    assert {y for r, y in kept if r == "y"} == {"y"}
    for r, y in kept:
        a, b = f"site:{r}", f"site:{y}"
        assert repaired.distance(a, b) == base.igp.distance(a, b) == fresh.igp.distance(a, b)
        assert repaired.latency(a, b) == base.igp.latency(a, b) == fresh.igp.latency(a, b)


def test_an_igp_inherited_after_a_failure_inside_sites_equals_a_fresh_one() -> None:
    """A circuit or a device down leaves the WAN as it was: the IGP takes the trees computed
    before. A WAN link down is another WAN: nothing is taken."""
    d = _diamond()
    d["circuits"] = {}
    base = engine(d)
    _routes(base)
    same = engine(_diamond())
    want = _routes(same)
    same.igp = Igp(same.net)
    same.igp.inherit(base.igp)
    assert _routes(same) == want
    other = engine(_diamond(up=False))
    want = _routes(other)
    other.igp = Igp(other.net)
    other.igp.inherit(base.igp)
    assert _routes(other) == want


def test_an_igp_inherits_the_next_hops_found_before_any_tree_towards_them() -> None:
    """The base answered only a's next hops (a DAG per target, from a's tree alone): the IGP
    that inherits it answers them the same from what it took over, without the targets'
    trees."""
    base = engine(_diamond())
    asked = {y: base.igp.wan_next("site:a", f"site:{y}") for y in SITES if y != "a"}
    assert asked["d"] == ("site:b", "site:c")
    assert asked["e"] == ()
    same = engine(_diamond())
    same.igp = Igp(same.net)
    same.igp.inherit(base.igp)
    assert {y: same.igp.wan_next("site:a", f"site:{y}") for y in asked} == asked


def test_separate_parts_of_the_wan_are_told_apart() -> None:
    d = _diamond()
    d["sites"]["f"] = site("New York", "10.9.0.0/16")
    d["sites"]["g"] = site("New York", "10.10.0.0/16")
    d["wan"].append({"between": ["f", "g"], "latency_ms": 1})
    igp = engine(d).igp
    # asked first, before any tree is grown: no next hop to a part the WAN does not join
    assert igp.wan_next("site:a", "site:e") == ()
    parts = {s: igp.component(f"site:{s}") for s in ("a", "b", "e", "f", "g")}
    assert parts["a"] == parts["b"] and parts["f"] == parts["g"]
    assert len({parts["a"], parts["e"], parts["f"]}) == 3
    assert not igp.reachable("site:e", "site:f")
    assert igp.reachable("site:f", "site:g")


def test_a_router_behind_a_device_that_is_down_is_cut_off() -> None:
    """flow-semantics "Routing": "A path through a device that is down is down": us-er's
    customer edge stands behind fw, which is down; nothing reaches it and it reaches nothing,
    in its site or across the WAN. Routers of one site are at distance 0 from each other."""
    d = two_sites()
    d["circuits"]["us-er"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"site": "us", "up": False}}
    igp = engine(d).igp
    assert igp.stub("ce:us-er") is None
    assert igp.stub("ce:eu-er") == ("ce:eu-er", "site:eu")
    for a, b in (("site:eu", "ce:us-er"), ("ce:us-er", "site:eu"), ("site:us", "ce:us-er")):
        assert not igp.reachable(a, b)
        assert igp.distance(a, b) == INF
        assert igp.toward(a, b) == ()
    assert igp.toward("ce:us-er", "site:us") == ()
    assert igp.reachable("ce:eu-er", "site:us")
    assert igp.toward("ce:eu-er", "site:us") == ("site:eu",)
    assert igp.toward("site:us", "ce:eu-er") == ("site:eu",)
    assert igp.distance("ce:eu-er", "site:eu") == igp.distance("site:eu", "site:eu") == 0
    assert igp.distance("ce:eu-er", "site:us") == igp.distance("site:eu", "site:us") > 0


def test_an_unjoined_site_is_at_no_distance_whichever_tree_is_grown() -> None:
    igp = engine(_diamond()).igp
    assert igp.distance("site:a", "site:b") > 0  # grows a tree
    assert igp.distance("site:a", "site:e") == INF
    assert igp.distance("site:e", "site:a") == INF
