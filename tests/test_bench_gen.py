"""The benchmark's design generator writes valid, deterministic designs of the size asked for."""

from __future__ import annotations

import sys
from ipaddress import IPv4Network
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from erplan.model import Design

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gen_design


def _design(text: str) -> Design:
    return Design.model_validate(YAML(typ="safe", pure=True).load(text))


@pytest.mark.parametrize(("sites", "circuits"), [(1, 0), (12, 2), (40, 6), (60, 20), (12, 40)])
def test_valid_design_of_the_requested_size(sites: int, circuits: int) -> None:
    d = _design(gen_design.generate(sites, circuits, seed=5))
    assert len(d.sites) == sites
    assert len(d.circuits) == circuits
    # Every reference points at something declared.
    for link in d.wan:
        assert set(link.between) <= d.sites.keys()
    for b in d.breakouts.values():
        assert b.site in d.sites
        assert set(b.devices) <= d.devices.keys()
    for c in d.circuits.values():
        assert c.site in d.sites
        assert set(c.devices) <= d.devices.keys()
    for name in d.sites:
        assert d.site_breakout(name) in d.breakouts  # every site has an internet path
    for s in d.services.values():
        assert s.site in d.sites
        assert set(s.entry) <= d.circuits.keys() | d.breakouts.keys()
        assert set(s.inbound_snat) <= set(s.entry)


def test_the_loader_accepts_it() -> None:
    load = pytest.importorskip("erplan.load")
    catalogs = pytest.importorskip("erplan.catalogs")
    text = gen_design.generate(80, 8, seed=11)
    loaded = load.load_text(text, "synthetic.yaml", catalogs.load_catalogs())
    assert len(loaded.design.sites) == 80
    assert len(loaded.design.circuits) == 8


def test_deterministic_for_a_seed() -> None:
    a = gen_design.generate(50, 6, seed=3)
    assert a == gen_design.generate(50, 6, seed=3)
    assert a != gen_design.generate(50, 6, seed=4)


def test_circuit_addressing_is_distinct_and_public() -> None:
    d = _design(gen_design.generate(200, 20, seed=9))
    circuits = list(d.circuits.values())
    peer = [n for c in circuits for n in (c.primary_subnet, c.secondary_subnet)]
    assert all(isinstance(n, IPv4Network) and n.prefixlen == 30 and n.is_global for n in peer)
    assert len(set(peer)) == len(peer)
    assert len({c.vlan for c in circuits}) == len(circuits)
    pools = [c.snat_pool for c in circuits]
    assert all(p is not None and p.is_global for p in pools)
    # A pool per circuit, overlapping no other pool nor internet NAT (guide 000 §7.3.2).
    internet = [n for b in d.breakouts.values() for n in b.nat]
    nets = [p for p in pools if p is not None] + internet
    for i, a in enumerate(nets):
        assert not any(a.overlaps(b) for b in nets[i + 1 :])
    for c in circuits:
        assert c.snat_pool in c.advertises
        assert c.route_filter
    assert {c.peering_location for c in circuits} <= {a.name for a in gen_design.load_anchors()[0]}


def test_no_problems_means_consistent_inbound_services() -> None:
    d = _design(gen_design.generate(300, 6, seed=2, problems=0.0))
    assert d.services
    for s in d.services.values():
        assert s.dns_record == s.public_address
        assert set(s.inbound_snat) == set(s.entry)
        # Reachable over ExpressRoute means the /32 is advertised on a circuit it enters by.
        er = [e for e in s.entry if e in d.circuits]
        host = IPv4Network(f"{s.public_address}/32")
        assert all(host in d.circuits[e].advertises for e in er)


def test_cli_writes_the_same_design(tmp_path: Path) -> None:
    out = tmp_path / "d.yaml"
    assert gen_design.main(["--sites", "20", "--circuits", "4", "--seed", "2", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == gen_design.generate(20, 4, seed=2)


def test_security_adds_a_policy_the_path_rules_read() -> None:
    from erplan.analyses.rules.security import reads_traces
    from erplan.model import Purpose

    plain = gen_design.generate(40, 6, seed=5)
    secured = gen_design.generate(40, 6, seed=5, security=True)
    assert secured.startswith(plain)  # the same design, the policy added
    d = _design(secured)
    assert d.security is not None and reads_traces(d)
    assert Purpose.FIREWALL in d.security.expressroute.outbound
    assert not reads_traces(_design(plain))


def test_emulation_bench_compares_the_model_flow_by_flow() -> None:
    """bench/bench_emulate.py hands ``compare`` the model's flows one per key with their
    branches (its agreement column stayed empty when it passed the report's rows)."""
    import bench_emulate
    from erplan.analyses.agreement import comparable
    from erplan.catalogs import load_catalogs
    from erplan.load import load_mapping

    catalogs = load_catalogs()
    text = gen_design.generate(3, 2, seed=1, problems=0.3)
    loaded = load_mapping(YAML(typ="safe", pure=True).load(text), "random-1", catalogs)
    flows = bench_emulate.model_flows(loaded, catalogs)
    assert flows and comparable(flows)
    assert len({f["key"] for f in flows}) == len(flows)
    assert all(f["branches"] for f in flows)
