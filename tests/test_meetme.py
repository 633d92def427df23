"""The meet-me table and the optimizer.

Golden cases come from guide 001 "Determine the appropriate meet-me location"; each assertion
cites the sentence that decides it. The optimizer is checked against brute force on small
random problems: its answer must be the true optimum, not a good one.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from _cli import run
from erplan.analyses.meetme import MeetMe, meetme
from erplan.analyses.optimize import Facility, OptimizeError, Problem, build, solve, sweep
from erplan.analyses.paths import BREAKOUT, CIRCUIT, mean_to_network, users_rows
from erplan.analyses.verdicts import rows
from erplan.catalogs import load_catalogs
from erplan.engine import Engine
from erplan.latency import Ms
from erplan.load import load_design, load_text

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "examples" / "g001-meet-me-table.yaml"
REGIONAL = ROOT / "examples" / "g001-regional-california-hongkong-bangladesh.yaml"


def _table(path: Path) -> tuple[Engine, MeetMe]:
    catalogs = load_catalogs()
    engine = Engine(load_design(path, catalogs).design, catalogs)
    return engine, meetme(engine, rows(engine))


def test_a_site_no_egress_serves_is_left_out_of_the_figures_not_blanking_them() -> None:
    """A site with people but neither a breakout nor a WAN link to any circuit has no figure:
    the user-weighted figures stand for the other sites, and its people are counted apart."""
    catalogs = load_catalogs()
    island = "  island:\n    location: Denver\n    users: 1000\n    prefixes: [10.80.0.0/16]\n"
    text = TABLE.read_text().replace("wan:\n", island + "wan:\n", 1)
    engine = Engine(load_text(text, "island.yaml", catalogs).design, catalogs)
    got = meetme(engine, rows(engine))
    _, alone = _table(TABLE)
    assert alone.plan_ms is not None and not alone.left_out
    assert got.plan_ms == pytest.approx(alone.plan_ms)
    assert got.internet_ms == pytest.approx(alone.internet_ms or 0)
    assert got.as_written_ms == pytest.approx(alone.as_written_ms or 0)
    assert got.users == alone.users + 1000
    assert got.left_out == {"plan": 1000, "all_internet": 1000, "as_written": 1000}
    assert got.to_dict()["users_left_out"] == got.left_out
    assert any("island" in n and "1,000 users" in n for n in got.notes)
    assert alone.to_dict()["users_left_out"] == {"plan": 0, "all_internet": 0, "as_written": 0}


def test_guide_meet_me_table_reads_as_the_guide() -> None:
    """Guide 001, table 'Planned ExpressRoute meet-me locations': 'Los Angeles | 10,000 | ~15ms |
    ~10ms (via Silicon Valley)', 'Washington DC | 15,000 | ~20ms | ~10ms (via New York)',
    'Dallas | 5,000 | ~15ms | ~40ms (via New York)'; 'For some of your user locations, the
    shortest/most optimal path into Microsoft network and Microsoft 365, may not be through your
    internal WAN and ExpressRoute meet-me points, but via the Internet.'"""
    _, t = _table(TABLE)
    by = {r.site: r for r in t.sites}
    la, dc, dal = by["los-angeles"], by["washington-dc"], by["dallas"]
    assert (la.users, dc.users, dal.users) == (10_000, 15_000, 5_000)
    # Given figures are read like for like, and labelled as given.
    for row, inet, er, circuit in (
        (la, 15, 10, "sv-er"),
        (dc, 20, 10, "ny-er"),
        (dal, 15, 40, "ny-er"),
    ):
        assert row.internet is not None and row.internet.ms == pytest.approx(inet)
        assert not row.internet.estimated
        assert row.via[circuit].ms == pytest.approx(er)
        assert not row.via[circuit].estimated
    assert (la.recommended, dc.recommended, dal.recommended) == ("sv-er", "ny-er", "internet")
    # 'If a hairpin on the global network is discovered, it should be remediated': Dallas
    # reaches New York over the WAN and is slower than its own internet.
    assert dal.hairpins == ("ny-er",) and dal.hairpin_in_use
    assert not la.hairpins and not dc.hairpins
    # (10,000x10 + 15,000x10 + 5,000x15) / 30,000; everyone on the internet; as written.
    assert t.plan_ms == pytest.approx(10.8333, abs=1e-3)
    assert t.internet_ms == pytest.approx(17.5)
    assert t.as_written_ms == pytest.approx(15.0)


def test_regional_bangladesh_stays_on_the_internet() -> None:
    """Guide 001: 'Through the internet in Bangladesh where there are fewer people and no
    ExpressRoute circuit provisioned'; 'the ten people in Bangladesh may experience better
    performance with their network traffic sent over the internet to the Microsoft network than
    they would routing on their internal network'."""
    _, t = _table(REGIONAL)
    by = {r.site: r for r in t.sites}
    assert by["california"].recommended == "ca-er"
    assert by["hong-kong"].recommended == "hk-er"
    bd = by["bangladesh"]
    assert bd.recommended == "internet"
    assert bd.hairpins == ("hk-er",) and not bd.hairpin_in_use  # the WAN hairpin, avoided
    assert bd.via["hk-er"].ms > bd.internet.ms  # type: ignore[union-attr]


def test_routed_circuit_figure_matches_the_trace() -> None:
    """The figure of a circuit the site routes through is the traced one: the computed options
    use the same legs as the trace."""
    engine, t = _table(TABLE)
    results = rows(engine)
    for row in t.sites:
        for r in users_rows(results, row.site):
            if not r.flow.express_route:
                continue
            got = mean_to_network(engine, r.trace, CIRCUIT)
            if got is None:
                continue
            ms, used = got
            for e in used:
                assert row.via[e.split(":", 1)[1]].ms == pytest.approx(ms.ms)
        assert any(
            mean_to_network(engine, r.trace, BREAKOUT) for r in users_rows(results, row.site)
        )


def test_optimizer_on_the_guide_table() -> None:
    """One circuit buys most at New York (15,000 people); the second at Silicon Valley; Dallas
    stays on the internet whatever the budget (15 ms against 40 ms over New York)."""
    engine, t = _table(TABLE)
    problem = build(engine, t)
    one, two = sweep(problem, 2)
    assert [problem.facilities[p].location for p in one.open] == ["New York"]
    assert one.weighted_ms == pytest.approx(12.5)
    assert sorted(problem.facilities[p].location for p in two.open) == [
        "New York",
        "Silicon Valley",
    ]
    assert two.weighted_ms == pytest.approx(t.plan_ms or 0)
    assert two.assignment[problem.sites.index("dallas")] is None


def test_circuit_cost_keeps_bangladesh_on_the_internet() -> None:
    """Guide 001: 'There is a meet-me location in Chennai [...] so a meet-me location would make
    sense; however, for ten people, the expense of the extra circuit is burdensome.'"""
    catalogs = load_catalogs()
    design = load_design(REGIONAL, catalogs).design
    # The guide gives no figure for Dhaka's internet: assume a slow one (60 ms), so that a
    # Chennai circuit (about 26 ms, estimated) would help the ten people.
    bd = design.sites["bangladesh"].model_copy(update={"internet_latency_ms": 60.0})
    design = design.model_copy(update={"sites": {**design.sites, "bangladesh": bd}})
    engine = Engine(design, catalogs)
    t = meetme(engine, rows(engine))
    problem = build(engine, t, ["Chennai"])
    chennai = [f.location for f in problem.facilities].index("Chennai")
    free = solve(problem, 3)
    assert chennai in free.open  # at no cost, a circuit for ten people still lowers latency
    costly = solve(problem, 3, circuit_cost=0.05)
    assert chennai not in costly.open
    assert costly.assignment[problem.sites.index("bangladesh")] is None


def test_redundant_variant_pairs_locations_per_region() -> None:
    """Guide 001: 'at least two ExpressRoute circuits with each circuit connecting to with a
    different geographic peering location [...] for every region where people will use
    ExpressRoute connectivity'."""
    engine, t = _table(TABLE)
    problem = build(engine, t, ["Dallas", "Chicago"])
    sol = solve(problem, 4, redundant=True)
    regions: dict[str, int] = {}
    for p in sol.open:
        regions[problem.facilities[p].region] = regions.get(problem.facilities[p].region, 0) + 1
    assert regions and all(n >= 2 for n in regions.values())
    assert sol.objective >= solve(problem, 4).objective - 1e-9


def _random_problem(rng: random.Random, n_sites: int, n_fac: int) -> Problem:
    regions = ["A", "B", "C"]
    facs = tuple(
        Facility(f"L{i}", rng.choice(regions), "s0", (), Ms(1.0, True)) for i in range(n_fac)
    )
    cost = tuple(
        {p: rng.uniform(1, 100) for p in range(n_fac) if rng.random() < 0.8} for _ in range(n_sites)
    )
    internet = tuple(rng.choice([None, rng.uniform(5, 80)]) for _ in range(n_sites))
    # Every site must be servable: give internet to those without any option.
    internet = tuple(i if (i is not None or cost[s]) else 50.0 for s, i in enumerate(internet))
    users = tuple(rng.randint(1, 5000) for _ in range(n_sites))
    return Problem(tuple(f"s{i}" for i in range(n_sites)), users, internet, facs, cost)


def _brute(problem: Problem, k: int, cost: float, redundant: bool) -> float:
    best = float("inf")
    n = len(problem.facilities)
    for size in range(0, k + 1):
        for combo in itertools.combinations(range(n), size):
            if redundant:
                regions = [problem.facilities[p].region for p in combo]
                if any(regions.count(r) < 2 for r in regions):
                    continue
            best = min(best, problem.value(combo, cost))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimizer_is_exact_against_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    problem = _random_problem(rng, rng.randint(3, 9), rng.randint(2, 7))
    k = rng.randint(1, len(problem.facilities))
    cost = rng.choice([0.0, 0.0, 1.5, 10.0])
    for redundant in (False, True):
        expected = _brute(problem, k, cost, redundant)
        if expected == float("inf"):  # some site has no internet and too few locations
            with pytest.raises(OptimizeError):
                solve(problem, k, circuit_cost=cost, redundant=redundant)
            continue
        sol = solve(problem, k, circuit_cost=cost, redundant=redundant)
        assert sol.objective == pytest.approx(expected, abs=1e-6)
        assert len(sol.open) <= k
        # The reported objective is what the chosen locations really give.
        assert problem.value(sol.open, cost) == pytest.approx(sol.objective, abs=1e-6)


def test_meetme_cli_formats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run(["meetme", str(TABLE), "--format", "json"], capsys, monkeypatch)
    assert r.code == 0
    data = json.loads(r.out)
    assert data["user_weighted_ms"] == {"plan": 10.83, "all_internet": 17.5, "as_written": 15.0}
    r = run(["meetme", str(TABLE), "--format", "csv"], capsys, monkeypatch)
    lines = r.out.splitlines()
    assert lines[0].startswith("site,users,internet ms")
    assert any(line.startswith("dallas,") and "internet (15.0)" in line for line in lines)
    args = ["meetme", str(TABLE), "--optimize", "-k", "2", "-f", "json"]
    r = run(args, capsys, monkeypatch)
    assert r.code == 0
    best = json.loads(r.out)["optimum"]
    assert [round(s["user_weighted_ms"], 2) for s in best] == [12.5, 10.83]
    args = ["meetme", str(TABLE), "--optimize", "-k", "2", "--candidates", "Dalas"]
    r = run(args, capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert "did you mean 'Dallas'" in r.err
    r = run(["meetme", str(TABLE), "--optimize"], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    r = run(["meetme", str(ROOT / "nope.yaml")], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")


def test_a_site_nothing_can_serve_is_left_out_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No breakout anywhere and a site without WAN links: no plan reaches that site, which made
    every K infeasible (exit 2). It is left out and named; the others are still optimized
    (one location at New York serves both connected sites over the WAN)."""
    from _semantics import circuit, design, site

    data = design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=500),
            "eu": site("Amsterdam", "10.2.0.0/16", users=300),
            "iso": site("Tokyo", "10.8.0.0/16", users=10),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        circuits={
            "us-er": circuit("us", "New York", "20.2.2.0/29"),
            "eu-er": circuit("eu", "Amsterdam", "20.2.2.8/29"),
        },
    )
    path = tmp_path / "d.yaml"
    path.write_text(json.dumps(data))
    r = run(["meetme", str(path), "--optimize", "-k", "2", "-f", "json"], capsys, monkeypatch)
    assert r.code == 0, r.err
    got = json.loads(r.out)
    assert got["unserved"] == ["iso"]
    one, two = got["optimum"]
    assert set(one["sites"]) == {"us", "eu"}
    assert sorted(c["peering_location"] for c in two["circuits"]) == ["Amsterdam", "New York"]
    # Without the internet everyone must be on ExpressRoute, and no region has two candidate
    # locations: the redundancy variant has no plan for any K, and says so.
    assert got["redundant"] == []
    r = run(["meetme", str(path), "--optimize", "-k", "2"], capsys, monkeypatch)
    assert "K = 1, 2: no plan gives every region" in r.out


def test_an_own_circuit_as_near_as_a_remote_one_is_no_hairpin() -> None:
    """Guide 001's hairpin is 'traffic routes to a distant location in order to get the meet-me
    location'. A site whose own circuit is exactly as near as one over the WAN (20 ms both, its
    internet 10 ms) needs no distant location: no hairpin, whatever the circuits' names."""
    from _semantics import breakout, circuit, design, load, site

    data = design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=500, internet_latency_ms=10),
            "eu": site("Boston", "10.2.0.0/16", users=300),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 10}],
        breakouts={
            "us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24"),
            "eu-inet": breakout("eu", "20.2.5.1/32", "20.2.5.0/24"),
        },
        circuits={
            "z-local": circuit("us", "New York", "20.2.2.0/29", access_latency_ms=20),
            "a-remote": circuit("eu", "New York", "20.2.2.8/29", access_latency_ms=10),
        },
    )
    catalogs = load_catalogs()
    engine = Engine(load(data).design, catalogs)
    table = meetme(engine, rows(engine))
    us = next(r for r in table.sites if r.site == "us")
    assert us.via["z-local"].ms == pytest.approx(us.via["a-remote"].ms) == pytest.approx(20)
    assert us.internet is not None and us.internet.ms == pytest.approx(10)
    assert us.recommended == "internet"
    assert us.hairpins == ()
