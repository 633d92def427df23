"""Failures: the incremental recomputation agrees with tracing everything again; the guide's
high-availability examples come out as the guide reads them; the sweep runs the same on local
processes and on a local Dask cluster; `erplan failures` answers "who is affected if Amsterdam
goes down?"."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from _cli import run as run_cli
from erplan.analyses.failure_atoms import Atom, atoms
from erplan.analyses.failures import Baseline, evaluate, origin_groups, origin_of
from erplan.analyses.impact import impact
from erplan.analyses.sweep import cases, rank, run
from erplan.catalogs import load_catalogs
from erplan.engine import Engine
from erplan.load import load_design, load_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
HA = ROOT / "examples" / "g001-sharepoint-outbound.yaml"
SINGLE = ROOT / "examples" / "g000-fig04-single-us-circuit.yaml"
FIG17 = ROOT / "examples" / "g000-fig17-per-circuit-pools.yaml"


@cache
def baseline(path: Path) -> Baseline:
    catalogs = load_catalogs()
    return Baseline.build(load_design(path, catalogs).design, catalogs)


def _same(b: Baseline, failed: tuple[Atom, ...]) -> None:
    inc = evaluate(b, failed)
    full = evaluate(b, failed, full=True)
    assert set(inc.by_key) == set(full.by_key), failed
    for k, y in full.by_key.items():
        x = inc.by_key[k]
        got = (x.verdict, round(x.share, 9), x.cause, x.edges, x.latency_ms, x.paths)
        want = (y.verdict, round(y.share, 9), y.cause, y.edges, y.latency_ms, y.paths)
        assert got == want, (failed, k)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_incremental_equals_full_recompute(path: Path) -> None:
    b = baseline(path)
    for a in atoms(b.design):
        _same(b, (a,))


@pytest.mark.parametrize("path", [FIG17, HA], ids=lambda p: p.stem)
def test_incremental_equals_full_for_pairs(path: Path) -> None:
    b = baseline(path)
    for case in cases(b.design, depth=2):
        if len(case) == 2:
            _same(b, case)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_origin_groups_are_the_engine_groups(path: Path) -> None:
    catalogs = load_catalogs()
    engine = Engine(load_design(path, catalogs).design, catalogs)
    full = sorted(tuple(f.key for f in flows) for _, flows in engine.groups())
    origins = {origin_of(flows[0]) for _, flows in engine.groups()}
    mine = sorted(tuple(f.key for f in flows) for flows in origin_groups(engine, origins))
    assert mine == full


def _one(path: Path, *failed: str) -> dict[str, object]:
    b = baseline(path)
    every = {a.key: a for a in atoms(b.design)}
    return impact(b, evaluate(b, tuple(every[f] for f in failed))).to_dict()


def test_active_active_pair_fails_over_automatically() -> None:
    """Guide 001 (SharePoint table): 'ExpressRoute path: Active/Active 'hot potato' routing
    across 2 geo-redundant ExpressRoute circuits - Chicago and Dallas'; 'Failover between Azure
    ExpressRoute circuits happens automatically without additional configuration or action
    required by Contoso.'"""
    for failed in ("circuit:chicago-er", "location:Chicago"):
        got = _one(HA, failed)
        assert got["users_lose_expressroute"] == 0
        assert got["users_failed_over"] == 6000  # Chicago's people, now by Dallas
        assert not got["single_point_of_failure"]
        assert not got["manual_steps"]
        (site,) = got["sites"]  # type: ignore[misc]
        assert site["circuits_before"] == ["chicago-er"]
        assert site["circuits_after"] == ["dallas-er"]
        assert site["ms_after"] > site["ms_before"]  # over the 25 ms WAN to Dallas
    # 'Each circuit within a region can support all of the network traffic within that
    # region': after the failure Dallas carries both sites' ExpressRoute traffic.
    load = _one(HA, "circuit:chicago-er")["circuit_load_mbps"]
    assert set(load) == {"chicago-er", "dallas-er"} and load["chicago-er"] == 0  # type: ignore[index]


_SPLIT_SITE = """  stlouis:
    location: St. Louis
    users: 2000
    prefixes: [10.30.0.0/16]
    breakout: chicago-inet
    proxy:
      mode: pac
      site: chicago
      address: proxy.contoso.com:8080
"""
_SPLIT_WAN = """  - between: [stlouis, chicago]
    latency_ms: 10
  - between: [stlouis, dallas]
    latency_ms: 10
"""


def test_a_site_split_over_two_circuits_fails_over_its_share() -> None:
    """A site as near to Chicago as to Dallas sends half its ExpressRoute traffic by each
    circuit (equal-cost hot potato): when one circuit fails, half of its people fail over."""
    catalogs = load_catalogs()
    text = HA.read_text().replace("wan:\n", _SPLIT_SITE + "wan:\n" + _SPLIT_WAN, 1)
    b = Baseline.build(load_text(text, "split.yaml", catalogs).design, catalogs)
    er = [s for s in b.origin_states[("users", "stlouis")] if s.express_route]
    assert er and all(
        dict(s.edges) == {"circuit:chicago-er": 0.5, "circuit:dallas-er": 0.5} for s in er
    )
    for circuit, own in (("chicago-er", "chicago"), ("dallas-er", "dallas")):
        got = impact(b, evaluate(b, (Atom("circuit", circuit),))).to_dict()
        sites = {s["site"]: s for s in got["sites"]}  # type: ignore[attr-defined]
        assert sites["stlouis"]["failed_over"] == 1000
        assert sites["stlouis"]["lose_expressroute"] == 0
        assert sites[own]["failed_over"] == b.design.sites[own].users  # wholly on the circuit
        assert got["users_failed_over"] == 1000 + b.design.sites[own].users


def test_single_circuit_with_internet_backup_is_manual() -> None:
    """Guide 001: 'We don't recommend using a single ExpressRoute circuit with the Internet as a
    backup'; 'manual configuration would be required to fail over considering the BGP
    advertisements that have been configured, NAT configuration, DNS configuration, and the
    proxy configuration'."""
    b = baseline(SINGLE)
    (circuit,) = b.design.circuits
    got = _one(SINGLE, f"circuit:{circuit}")
    er_users = sum(s.users for name, s in b.design.sites.items() if s.er_routes and s.users > 0)
    assert got["users_lose_expressroute"] == er_users > 0
    assert got["users_to_internet_manual"] == er_users
    assert got["single_point_of_failure"]
    steps = " ".join(got["manual_steps"])  # type: ignore[arg-type]
    for word in ("NAT", "BGP", "DNS"):
        assert word in steps


def test_ranking_and_single_points_of_failure() -> None:
    """Guide 001: 'No single points of failure, including both Internet and ExpressRoute
    circuits.' The HA example has two circuits but one internet breakout ('Redundant internet
    egress' is one breakout in the example): the breakout and the resolvers behind it are single
    points of failure, the circuits are not."""
    b = baseline(HA)
    results = rank(run(b, cases(b.design)))
    spof = {r.key for r in results if r.spof}
    assert "breakout:chicago-inet" in spof or "resolver:chicago-inet" in spof
    assert not spof & {"circuit:chicago-er", "circuit:dallas-er", "location:Dallas"}
    affected = [r.users_affected for r in results]
    assert affected == sorted(affected, reverse=True)
    assert results[0].users_affected == 10_000  # every person depends on that one egress


def test_a_pair_of_failures_is_not_a_single_point_of_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both circuits of the HA pair down sends everyone to the internet: ranked first at
    --depth 2, but two failures, so no single point of failure and exit 0 (neither circuit alone
    is one)."""
    both = _one(HA, "circuit:chicago-er", "circuit:dallas-er")
    assert both["users_lose_expressroute"] == 10_000
    assert not both["single_point_of_failure"]
    r = run_cli(
        ["failures", str(HA), "--depth", "2", "--kinds", "circuit", "-f", "json"],
        capsys,
        monkeypatch,
    )
    data = json.loads(r.out)
    assert data["results"][0]["failure"] == "circuit:chicago-er + circuit:dallas-er"
    assert data["single_points_of_failure"] == []
    assert r.code == 0


def test_local_processes_give_the_same_answers() -> None:
    b = baseline(FIG17)
    todo = cases(b.design)
    serial = [r.to_dict() for r in rank(run(b, todo))]
    parallel = [r.to_dict() for r in rank(run(b, todo, jobs=2))]
    assert serial == parallel


def test_dask_local_cluster_gives_the_same_answers() -> None:
    distributed = pytest.importorskip("distributed")
    b = baseline(FIG17)
    todo = cases(b.design)
    serial = [r.to_dict() for r in rank(run(b, todo))]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = [r.to_dict() for r in rank(run(b, todo, scheduler=cluster.scheduler_address))]
    assert serial == remote


def test_who_is_affected_if_amsterdam_goes_down(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli(
        ["failures", str(FIG17), "--failure", "Amsterdam", "-f", "json"], capsys, monkeypatch
    )
    data = json.loads(r.out)
    (result,) = data["results"]
    assert result["failure"] == "location:Amsterdam"
    assert result["sites"], "the sites behind Amsterdam are listed"
    assert r.code == (1 if result["single_point_of_failure"] else 0)
    r = run_cli(["failures", str(FIG17), "--failure", "Amsterdamm"], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert "Amsterdam" in r.err
    r = run_cli(["failures", str(FIG17), "--kinds", "circuits"], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")


def test_incremental_equals_full_on_a_generated_design() -> None:
    """A synthetic global design with the guides' mistakes sprinkled in (suboptimal rows whose
    best changes when a WAN link or an option fails, scoped sites, proxies)."""
    import random
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from erplan.load import load_text
    from gen_design import generate

    catalogs = load_catalogs()
    design = load_text(generate(18, 4, 7, problems=0.3), "gen.yaml", catalogs).design
    b = Baseline.build(design, catalogs)
    assert b.suboptimal, "the case needs rows judged suboptimal"
    every = atoms(design)
    rng = random.Random(7)
    for a in rng.sample(every, min(30, len(every))):
        _same(b, (a,))


def test_failed_engine_has_every_stage_of_an_engine() -> None:
    """The failure engine reuses the baseline's geography; it must build every stage a plain
    engine does (a stage added to the engine and missed here fails this test)."""
    from erplan.analyses.failed_state import failed_engine
    from erplan.analyses.failure_atoms import apply

    b = baseline(FIG17)
    plain = Engine(b.design, b.catalogs)
    mine = failed_engine(apply(b.design, ()), b)
    assert vars(mine).keys() == vars(plain).keys()


def test_kind_help_names_every_kind() -> None:
    from erplan.analyses.failure_atoms import KINDS
    from erplan.cli.commands_failures import KIND_HELP

    assert tuple(k.strip() for k in KIND_HELP.split(",")) == KINDS


@pytest.mark.parametrize("mode", ["direct", "pac", "all"])
def test_wan_link_cutting_a_branch_from_its_only_circuit(mode: str) -> None:
    """A branch reaches the one circuit over one WAN link and has its own breakout: losing the
    link sends its 50 people to the internet by hand (guide 001's manual failover), breaks
    nothing, and is a single point of failure. The PAC step appears only where a PAC file sends
    the ExpressRoute-able URLs DIRECT; a site without people is not listed."""
    from _semantics import breakout, circuit, design, load, site

    data = design(
        sites={
            "hq": site("New York", "10.1.0.0/16", users=500),
            "br": site("Boston", "10.3.0.0/16", users=50, proxy={"mode": mode}),
            "idle": site("Philadelphia", "10.4.0.0/16"),
        },
        wan=[
            {"between": ["hq", "br"], "latency_ms": 5},
            {"between": ["hq", "idle"], "latency_ms": 5},
        ],
        breakouts={
            "hq-inet": breakout("hq", "20.2.4.1/32", "20.2.4.0/24"),
            "br-inet": breakout("br", "20.2.6.1/32", "20.2.6.0/24"),
        },
        circuits={"hq-er": circuit("hq", "New York", "20.2.2.0/29")},
    )
    b = Baseline.build(load(data).design, load_catalogs())
    every = {a.key: a for a in atoms(b.design)}
    got = impact(b, evaluate(b, (every["wan:br|hq#0"],))).to_dict()
    assert (got["users_lose_expressroute"], got["users_to_internet_manual"]) == (50, 50)
    assert (got["users_broken"], got["flows_broken"]) == (0, 0)
    assert got["single_point_of_failure"]
    assert [s["site"] for s in got["sites"]] == ["br"]
    steps = got["manual_steps"]
    assert "br-inet" in steps[0] and "hq-er" in steps[0]
    assert any(s.startswith("Proxy/PAC") for s in steps) == (mode == "pac")
    idle = impact(b, evaluate(b, (every["wan:hq|idle#1"],))).to_dict()
    assert idle["users_affected"] == 0 and not idle["sites"]
