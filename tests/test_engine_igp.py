"""The customer network's IGP (engine/igp.py): every equal-cost next hop, distances by cost, the
latency of the fastest equal-cost path, sites the WAN does not join, and a WAN with links down
computed from the IGP before the failure (docs/flow-semantics.md "Routing": "WAN links that are
up, cost = cost, else the latency ... Every equal-cost next hop is used")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from _designs import CATALOGS, load
from _semantics import design, site
from erplan.engine import Engine
from erplan.engine.igp import INF

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
    # the direct link costs more (25 > 20) although it is the fastest
    assert igp.distance("site:a", "site:d") == 2 * igp.distance("site:a", "site:b")
    assert igp.distance("site:a", "site:d") < igp.distance("site:a", "site:c") * 2.5


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
    assert igp.nearest("site:a", ["site:e"]) == ([], INF)
    assert igp.nearest("site:a", ["site:d", "site:b", "site:e"])[0] == ["site:b"]


def test_a_link_down_is_routed_around() -> None:
    igp = engine(_diamond(up=False)).igp
    assert igp.wan_next("site:a", "site:d") == ("site:c",)
    lat = igp.latency("site:a", "site:d")
    assert lat is not None and lat.ms == 18
    assert igp.wan_next("site:a", "site:b") == ("site:c",)  # a - c - d - b: 30 < nothing


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
