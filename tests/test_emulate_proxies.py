"""The emulation's proxies, planned from the design alone: a proxy that is down runs nothing at
its address, a cloud proxy is a namespace on the internet, and a flow whose proxy leg fails is
unreachable (its own request never left), as the model says."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from emulation import designs_gaps, designs_proxies
from erplan.catalogs import load_catalogs
from erplan.emulate import nft
from erplan.emulate.network import INTERNET, Plan, plan
from erplan.emulate.results import Connection
from erplan.emulate.run import make_jobs
from erplan.load import load_mapping

CATALOGS = load_catalogs()


def _plan(data: dict[str, Any]) -> Plan:
    return plan(load_mapping(data, "<test>", CATALOGS).design, CATALOGS)


def _proxies(p: Plan, node: str) -> list[dict[str, Any]]:
    n = next(n for n in p.topology.nodes if n.name == node)
    return list(json.loads(n.agent or "{}").get("proxies", []))


def test_a_failed_leg_to_the_proxy_is_unreachable_not_a_blackhole() -> None:
    for error in ("to proxy: ConnectionRefusedError", "HTTP/1.1 502 upstream TimeoutError"):
        c = Connection(20000, 0, 1.0, "10.0.0.1", stage="proxy", error=error)
        assert c.classify() == "unreachable"
    # Lost beyond the last proxy, nobody dropping it: a blackhole still.
    c = Connection(20000, 0, 1.0, "10.0.0.1", stage="echo", error="timeout")
    assert c.classify() == "blackhole"


def test_a_proxy_that_is_down_is_planned_with_nothing_running_at_its_address() -> None:
    p = _plan(designs_proxies.proxy_down("all"))
    assert not [f for f in p.flows if f.problem is not None]
    hosts = p.hosts["hq"]
    assert _proxies(p, hosts) == []
    assert IPv4Address("10.240.255.10") not in p.proxies


def test_a_chain_runs_its_proxies_that_are_up_and_not_the_one_that_is_down() -> None:
    p = _plan(designs_proxies.upstream_proxy_down())
    assert not [f for f in p.flows if f.problem is not None]
    assert [x["listen"] for x in _proxies(p, p.hosts["hq"])] == ["10.241.255.10"]
    assert _proxies(p, p.hosts["hq"])[0]["upstream"] == "10.242.255.10"
    assert _proxies(p, p.hosts["dc"]) == []


def test_a_cloud_proxy_is_a_namespace_on_the_internet_announced_to_microsoft() -> None:
    p = _plan(designs_proxies.cloud_proxy())
    cloud = IPv4Address(designs_proxies.CLOUD)
    node = p.clouds[cloud]
    assert [x["listen"] for x in _proxies(p, node)] == [str(cloud)]
    (link,) = [lk for lk in p.topology.links if node in (lk.a, lk.b)]
    assert {link.a, link.b} == {node, INTERNET}
    inet = next(n for n in p.topology.nodes if n.name == INTERNET)
    bgpd = next(d for d in inet.daemons if d.name == "bgpd")
    assert f"network {cloud}/32" in bgpd.config
    flow = next(f for f in p.flows if f.key == "out/hq/8")
    assert flow.proxy_cloud and flow.proxy_address == cloud and flow.problem is None
    assert flow.resolver_site == "hq"  # its clients resolve through their own resolver
    direct = next(f for f in p.flows if f.key == "out/hq/1")
    assert direct.proxy_address is None  # the PAC sends ExpressRoute names DIRECT


def test_a_cloud_proxy_without_an_address_gets_one_on_the_emulated_internet() -> None:
    data = designs_proxies.cloud_proxy()
    del data["devices"]["zs"]["address"]
    p = _plan(data)
    (cloud,) = p.clouds
    assert not any(
        cloud in net for s in data["sites"].values() for net in map(IPv4Network, s["prefixes"])
    )
    assert next(f for f in p.flows if f.key == "out/hq/8").proxy_address == cloud


def test_a_cloud_proxy_takes_its_flow_ports_and_clients_of_closed_sites_may_reach_it() -> None:
    cloud = IPv4Address("165.225.0.1")
    text = nft.render(nft.Ruleset(proxy_redirect=((cloud, 3128),)))
    # Datagrams too: its relay listens on the proxy's port.
    rule = f"ip daddr {cloud} meta l4proto {{ tcp, udp }} th dport 20000-39999"
    assert f"{rule} dnat ip to {cloud}:3128" in text
    f = nft.ClientFilter(("e0",), (IPv4Network("10.0.0.0/8"),), (), (IPv4Network(cloud),))
    text = nft.render(nft.Ruleset(client_filters=(f,)))
    assert f"ip daddr != {cloud}/32" in text


def _agent(p: Plan, node: str) -> dict[str, Any]:
    return dict(json.loads(next(n for n in p.topology.nodes if n.name == node).agent or "{}"))


def _jobs(p: Plan, key: str) -> dict[str, list[dict[str, Any]]]:
    """The jobs of one flow, by the namespace they run in."""
    results, jobs, _ = make_jobs(p, 4, 1)
    ports = {c.port for r in results if r.spec.key == key for c in r.connections}
    out = {node: [j for j in items if j["id"] in ports] for node, items in jobs.items()}
    return {node: items for node, items in out.items() if items}


def test_datagrams_through_a_cloud_proxy_start_at_the_clients_and_its_relay_sends_them_on() -> None:
    p = _plan(designs_proxies.cloud_proxy_for_everything())
    assert not [f for f in p.flows if f.problem is not None]
    cloud = designs_proxies.CLOUD
    udp = next(f for f in p.flows if f.key == "out/hq/1/udp")
    tcp = next(f for f in p.flows if f.key == "out/hq/1")
    # The clients send them to the cloud proxy, from their own addresses.
    assert udp.proto == "udp" and udp.strata == tcp.strata and udp.proxy_site is None
    assert _agent(p, p.clouds[IPv4Address(cloud)])["relay"] == {"listen": cloud}
    jobs = _jobs(p, "out/hq/1/udp")
    assert list(jobs) == [p.hosts["hq"]]
    assert all(j["relay"] == cloud and "via" not in j for j in jobs[p.hosts["hq"]])


def test_a_cloud_proxy_that_is_down_relays_nothing() -> None:
    p = _plan(designs_proxies.cloud_proxy_down())
    assert "relay" not in _agent(p, p.clouds[IPv4Address(designs_proxies.CLOUD)])


def test_datagrams_through_a_chain_to_a_cloud_proxy_start_at_the_proxy_on_premises() -> None:
    p = _plan(designs_gaps.media_through_chain_to_cloud())
    udp = next(f for f in p.flows if f.key == "out/hq/12/udp")
    px1 = "10.246.255.10"
    assert udp.proxy_site == "dc" and [str(s.piece.first) for s in udp.strata] == [px1]
    jobs = _jobs(p, "out/hq/12/udp")
    assert list(jobs) == [p.hosts["dc"]]
    for j in jobs[p.hosts["dc"]]:
        assert j["via"] == [px1] and j["source"] == px1 and j["relay"] == designs_proxies.CLOUD
