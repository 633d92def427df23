"""A failed state derived from the baseline's is the one built afresh: a WAN failure's IGP
(trees kept or repaired, latencies along them) answers what a fresh IGP answers, for every WAN
link of a generated design; the network with circuits, links, breakouts or devices down has
the nodes, wires and device positions of a network built for the failed design, on every
example."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from erplan.analyses.failures import Baseline, _inside_network, _wan_network, apply, atoms
from erplan.catalogs import load_catalogs
from erplan.engine.igp import Igp
from erplan.engine.network import Network
from erplan.load import load_design, load_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_igp_without_a_wan_link_equals_a_fresh_igp() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_design import generate

    catalogs = load_catalogs()
    design = load_text(generate(40, 4, 3), "gen.yaml", catalogs).design
    base = Baseline.build(design, catalogs)
    igp = base.engine.igp
    sites = sorted(r for r in base.engine.net.wires if r.startswith("site:"))
    for s in sites[::2]:  # the baseline holds trees and latencies of half the sites
        igp.latency(sites[0], s)
    repaired = 0
    for a in atoms(design, ["wan"]):
        got = _wan_network(apply(design, (a,)), base)
        assert got is not None, a
        net, cut = got
        mine, fresh = igp.without(net, cut), Igp(net)
        repaired += len(mine._before)
        for x in sites:
            for y in sites[::3]:
                assert mine.site_distance(x, y) == fresh.site_distance(x, y), (a, x, y)
                assert mine.latency(x, y) == fresh.latency(x, y), (a, x, y)
                assert mine.wan_next(x, y) == fresh.wan_next(x, y), (a, x, y)
    assert repaired > 0  # some trees crossed a failed link and were repaired


def _shape(net: Network) -> tuple[object, ...]:
    nodes = {k: dataclasses.astuple(n) for k, n in net.nodes.items()}
    wires = {(a, b): w for a, ws in net.wires.items() for b, w in ws.items()}
    return nodes, wires, dict(net.device_wire), net.owned, net.apart


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_network_with_elements_down_equals_a_fresh_network(path: Path) -> None:
    catalogs = load_catalogs()
    design = load_design(path, catalogs).design
    base = Baseline.build(design, catalogs)
    derived = 0
    for a in atoms(design, ["circuit", "link", "location", "breakout", "device"]):
        failed = apply(design, (a,))
        mine = _inside_network(failed, base)
        if mine is None:
            continue
        derived += 1
        assert mine.design is failed
        assert _shape(mine) == _shape(Network(failed, catalogs, base.engine.geo)), a
    assert derived > 0
