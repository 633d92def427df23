"""Bandwidth and NAT sizing: load from users x workload profile along the traced flows, headroom
against guide 001's target, load after the worst failure, NAT pools against users per address."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from _cli import run as run_cli
from erplan.analyses.bandwidth import advice, bandwidth, status
from erplan.analyses.failures import Baseline
from erplan.analyses.sweep import cases, run
from erplan.analyses.workload import DEFAULT, circuit_loads, loads
from erplan.catalogs import load_catalogs
from erplan.load import load_design
from erplan.model import Design, Workload

ROOT = Path(__file__).resolve().parent.parent
HA = ROOT / "examples" / "g001-sharepoint-outbound.yaml"


def _design(path: Path = HA) -> Design:
    return load_design(path, load_catalogs()).design


def _base(d: Design) -> Baseline:
    return Baseline.build(d, load_catalogs())


def test_headroom_reads_as_the_guide() -> None:
    """Guide 001: 'Having 10% headroom will likely result in congestion and having 80% headroom
    generally means unnecessary cost. Typical headroom target allocations are 20% to 50%.'"""
    assert status(0.10, 0.2, 0.5) == "congestion risk"
    assert status(0.80, 0.2, 0.5) == "over-provisioned (cost)"
    assert status(0.20, 0.2, 0.5) == status(0.50, 0.2, 0.5) == "within target"
    assert advice(900, 0.2, 0.5) == 2000  # 1 Gbps leaves 10 %: the next provider size
    assert advice(20_000, 0.2, 0.5) is None


def test_headroom_exactly_at_the_bounds_is_within_target() -> None:
    """A load of exactly 80 % of the circuit leaves exactly 20 % headroom, inside the target,
    though 1 - 120 / 150 is 0.19999999999999996 in floating point."""
    assert status(1 - 120 / 150, 0.2, 0.5) == "within target"
    assert status(1 - 40 / 80, 0.2, 0.5) == "within target"
    assert advice(40, 0.2, 0.5) == 50  # 40 of 50 Mbps: exactly 20 % left
    assert advice(120, 0.2, 0.5) == 200  # no 150 Mbps size; 100 is too small


def test_load_follows_users_profile_and_paths() -> None:
    d = _design()
    base = _base(d)
    now = circuit_loads(loads(d, base.catalogs, base.states))
    # SharePoint only (the tenant's services): 75 % of it to the Optimize sets, which leave by
    # each site's own circuit; the rest goes to the proxy and the internet.
    per_user = DEFAULT.sharepoint_kbps * 0.75 / 1000
    assert now["chicago-er"] == pytest.approx(6000 * per_user)
    assert now["dallas-er"] == pytest.approx(4000 * per_user)
    # A profile named default overrides the built-in figures; a site's own profile wins.
    heavy = Workload(sharepoint_kbps=DEFAULT.sharepoint_kbps * 3)
    sites = dict(d.sites)
    sites["dallas"] = sites["dallas"].model_copy(update={"workload": "light"})
    d2 = d.model_copy(
        update={
            "workloads": {"default": heavy, "light": Workload(sharepoint_kbps=0)},
            "sites": sites,
        }
    )
    b2 = _base(d2)
    got = circuit_loads(loads(d2, b2.catalogs, b2.states))
    assert got["chicago-er"] == pytest.approx(3 * now["chicago-er"])
    assert got.get("dallas-er", 0.0) == 0.0


def test_survivor_carries_the_region_after_a_failure() -> None:
    """Guide 001 (Contoso): 'Each circuit within a region can support all of the network traffic
    within that region.' After Chicago fails, Dallas carries both sites' ExpressRoute load."""
    d = _design()
    base = _base(d)
    report = bandwidth(base, run(base, cases(d, 1, ("circuit", "location"))))
    by = {c.circuit: c for c in report.circuits}
    total = by["chicago-er"].load_mbps + by["dallas-er"].load_mbps
    assert by["dallas-er"].worst_failure in ("circuit:chicago-er", "location:Chicago")
    assert by["dallas-er"].load_after_mbps == pytest.approx(total)
    assert by["dallas-er"].headroom_after == pytest.approx(1 - total / 1000)


def test_nat_pool_against_users_per_address(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Microsoft's NAT sizing: (64,000 - 4,000) / (6 + 4) = 6,000 devices per public address:
    6,000 people on a single-address pool fit, 6,001 do not."""
    d = _design()
    base = _base(d)
    pools = {p.owner: p for p in bandwidth(base).pools}
    assert pools["circuit:chicago-er"].users == 6000
    assert pools["circuit:chicago-er"].needed == 1
    circuits = dict(d.circuits)
    circuits["chicago-er"] = circuits["chicago-er"].model_copy(
        update={"snat_pool": IPv4Network("1.1.2.0/32")}
    )
    sites = dict(d.sites)
    sites["chicago"] = sites["chicago"].model_copy(update={"users": 6001})
    small = bandwidth(_base(d.model_copy(update={"circuits": circuits, "sites": sites})))
    pool = {p.owner: p for p in small.pools}["circuit:chicago-er"]
    assert (pool.addresses, pool.users, pool.needed, pool.ok) == (1, 6001, 2, False)
    assert small.problems >= 1


def test_bandwidth_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(["bandwidth", str(HA), "-f", "json"], capsys, monkeypatch)
    assert r.code == 0
    data = json.loads(r.out)
    assert {c["circuit"] for c in data["circuits"]} == {"chicago-er", "dallas-er"}
    assert data["headroom_target"] == [0.2, 0.5]
    r = run_cli(["bandwidth", str(HA), "-f", "csv", "--failures", "none"], capsys, monkeypatch)
    assert r.code == 0
    assert r.out.splitlines()[0].startswith("circuit,Mbps,load Mbps,headroom")
    r = run_cli(["bandwidth", str(HA), "--failures", "nope"], capsys, monkeypatch)
    assert (r.code, r.out) == (2, "")
    assert "nope" in r.err


def test_headroom_target_upside_down_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target whose top is below its bottom would call one headroom both congestion risk and
    cost: bad input, at headroom_max."""
    text = HA.read_text() + "\nanalysis:\n  headroom_min: 0.6\n  headroom_max: 0.3\n"
    assert "\nanalysis:" not in HA.read_text()  # the example sets no target of its own
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    out = tmp_path / "out.json"
    r = run_cli(["bandwidth", str(bad), "-o", str(out)], capsys, monkeypatch)
    line = len(text.splitlines())
    assert (r.code, r.out) == (2, "")
    assert r.err.strip().splitlines() == [
        f"{bad}:{line}:17: analysis.headroom_max: must be at least 0.6, got 0.3 [ERP014]"
    ]
    assert not out.exists()
