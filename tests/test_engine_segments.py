"""Routed stretches between routers (engine/segments.py): what a packet meets between two
stateful boxes - the devices on a wire, each router's decision, where the stretch ends - as the
trace shows it (docs/flow-semantics.md "The network": "A device is a bump in the wire: it makes
no routing decision")."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from _semantics import CATALOGS, flow, load, one_site, owners, results, share, two_sites
from erplan.analyses.verdicts import rows
from erplan.engine import Engine
from erplan.engine.segments import Scope, Segments
from test_semantics_routing import _scoped_transit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gen_design


def test_a_stateless_device_on_the_way_is_a_hop_that_decides_nothing() -> None:
    """us-er's circuit firewall keeps no state: the routed stretch crosses it, both ways, as a
    hop of its own between the site router and the customer edge, named by its kind and name,
    with no routing decision of its own."""
    d = one_site(devices=["fw"])
    d["devices"] = {"fw": {"site": "us", "stateful": False}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, r.share_affected) == ("ok", 0.0)
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        fwd = [(h.label, h.action) for h in b.forward.hops]
        back = [(h.label, h.action) for h in b.back.hops]
        i = fwd.index(("firewall fw", ""))
        assert (fwd[i - 1][0], fwd[i + 1][0]) == ("site us", "customer edge us-er")
        j = back.index(("firewall fw", ""))
        assert (back[j - 1][0], back[j + 1][0]) == ("customer edge us-er", "site us")


# -- the memo of stretches keeps two generations -------------------------------------------------
def _rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [r.to_dict(detail=True) for r in results(d)]


def _generated() -> dict[str, Any]:
    return dict(YAML(typ="safe", pure=True).load(gen_design.generate(40, 6, seed=3)))


@pytest.mark.parametrize("design", [_generated, two_sites, lambda: _scoped_transit("a-inet")])
def test_stretches_dropped_from_the_memo_are_made_again_the_same(
    design: Callable[[], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo drops the stretches not asked for in the last generation: with generations of
    one stretch (almost every stretch made again) every row and every hop are the same."""
    kept = _rows(design())
    monkeypatch.setattr(Scope, "LIMIT", 1)
    assert _rows(design()) == kept


def test_after_a_routing_loop_the_memo_drops_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a loop is reported depends on where the walk entered it: after the first loop a
    scope keeps every stretch, so the report does not depend on what was dropped."""
    monkeypatch.setattr(Scope, "LIMIT", 1)
    engine = Engine(load(_scoped_transit("a-inet")).design, CATALOGS)
    rows(engine)
    scopes = list(engine.walker.segs._scopes.values())
    looped = [s for s in scopes if s.looped]
    assert looped
    assert all(len(s.memo) > 1 for s in looped)  # kept since the loop, not one by one


# -- stretches every latency context shares -------------------------------------------------------
def test_a_stretch_that_reads_no_context_is_made_once_for_every_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stretch from a site to its customer edge crosses no leg whose latency depends on the
    front end: flows to several front ends share it, so no stretch is made twice; the legs into
    Microsoft's network and the internet stay each context's own."""
    made: list[tuple[object, ...]] = []  # (kind of packet, key)
    put = Scope.put

    def counted(self: Scope, key: tuple[object, ...], segs: tuple[Any, ...]) -> None:
        if self.ctx is None:  # the memo every context shares
            made.append((self.mode, key))
        put(self, key, segs)

    monkeypatch.setattr(Scope, "put", counted)
    monkeypatch.setattr(Scope, "LIMIT", 10**6)  # nothing dropped, so nothing made again
    engine = Engine(load(_generated()).design, CATALOGS)
    rows(engine)
    segs = engine.walker.segs
    assert len({ctx for _, ctx in segs._scopes}) > 1
    assert made and len(made) == len(set(made))
    shared = {k for s in segs._free.values() for k in s.memo}
    own = {k for s in segs._scopes.values() for k in s.memo}
    assert shared and own and not shared & own


@pytest.mark.parametrize("design", [_generated, two_sites, lambda: _scoped_transit("a-inet")])
def test_stretches_shared_by_every_context_give_the_rows_of_stretches_made_per_context(
    design: Callable[[], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept per context only (as if every stretch read its context), every row and every hop
    are the same: sharing changes nothing but how often a stretch is made."""
    shared = _rows(design())

    def own(self: Segments, key: Any, segs: Any, sp: Scope, bound: int) -> None:
        sp.put(key, segs)

    monkeypatch.setattr(Segments, "_keep", own)
    assert _rows(design()) == shared


def test_a_request_microsoft_filters_stops_at_the_msee_which_says_only_why() -> None:
    """us-er advertises nothing, so Microsoft's inbound filter drops the translated source at
    the MSEE of each link: the path ends there, and the MSEE's hop says why and nothing more
    (it makes no routing decision of its own); the hops before say how they routed."""
    r = flow(results(one_site(advertises=[])), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "source-filter")
    for b in r.trace.branches:
        *before, last = b.forward.hops
        assert b.forward.edge is not None  # circuit:us-er/LINK
        assert (last.node, last.action) == (f"msee:{b.forward.edge[8:]}", b.forward.reason)
        assert b.forward.reason.startswith("Microsoft drops the source 20.2.2.0:")
        assert [h.action for h in before[1:3]] == [
            "ExpressRoute route via us-er",
            "ExpressRoute route via us-er; source NAT into 20.2.2.0/29",
        ]


def test_a_packet_that_reaches_its_destination_says_delivered() -> None:
    """us's Exchange flow works both ways: the request ends at Microsoft, the reply at the
    hosts of us, and each path says so as the JSON output shows it, with no cause beyond
    "delivered"."""
    r = flow(results(one_site()), "out/us/1")
    assert (r.verdict.value, r.share_affected) == ("ok", 0.0)
    for b in r.trace.branches:
        assert b.back is not None
        for path, last in ((b.forward, "microsoft"), (b.back, "lan:us")):
            out = path.to_dict()
            assert (out["disposition"], out["reason"], out["cause"]) == ("delivered",) * 3
            assert out["hops"][-1]["node"] == last
