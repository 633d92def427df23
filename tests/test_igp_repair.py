"""A WAN failure's IGP derived from the baseline's (trees kept or repaired, latencies along
them) answers exactly what an IGP built afresh on the failed network answers: every WAN link
of a generated design, distances and latencies between every pair of sites, next hops."""

from __future__ import annotations

import sys
from pathlib import Path

from erplan.analyses.failures import Baseline, _wan_network, apply, atoms
from erplan.catalogs import load_catalogs
from erplan.engine.igp import Igp
from erplan.load import load_text

ROOT = Path(__file__).resolve().parent.parent


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
