"""Proxies built from the design alone (tests/emulation/designs_proxies.py): a proxy that is
down, alone, behind a PAC that sends ExpressRoute names DIRECT, and as a chain's upstream; a
cloud proxy on the internet that a site's ExpressRoute traffic bypasses (and relays the
datagrams of what it does carry); a cloud proxy whose site's breakout is down. Each compared
with the model flow for flow (verdict, share, edges)."""

from __future__ import annotations

import pytest

from emulation import designs_proxies as designs
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping

pytestmark = pytest.mark.emulation

ER_SETS = (1, 2, 9, 10)
C1 = {"circuit:c1/primary", "circuit:c1/secondary"}


def _failed_at_the_proxy(key: str, report_flows: dict, outcome: str = "unreachable") -> None:
    f = report_flows[key]
    assert f.attempted > 0 and f.completed == 0, describe(f)
    assert {c.outcome for c in f.connections} == {outcome}, describe(f)
    assert {c.stage for c in f.connections} == {"proxy"}, describe(f)
    assert not edges(f) and not edges(f, back=True), describe(f)


def test_a_proxy_that_is_down_fails_every_flow_sent_to_it() -> None:
    data = designs.proxy_down("all")
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key in by_key:
        if key.startswith("out/"):
            # Its address answers (the box is there) but nothing runs on it: the clients'
            # request never leaves the site.
            _failed_at_the_proxy(key, by_key)
    assert by_key["dns/hq"].completed == by_key["dns/hq"].attempted > 0
    assert_agrees(data, report, sorted(by_key))


def test_a_pac_sends_expressroute_names_direct_past_a_proxy_that_is_down() -> None:
    data = designs.proxy_down("pac")
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0 and edges(f) <= C1, describe(f)
    _failed_at_the_proxy("out/hq/8", by_key)
    assert_agrees(data, report, sorted(by_key))


def test_a_chain_whose_upstream_is_down_fails_at_the_first_proxy() -> None:
    data = designs.upstream_proxy_down()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key in by_key:
        if key.startswith("out/") and not key.endswith("/udp"):
            # px1 takes the request and finds nothing running at px2's address.
            _failed_at_the_proxy(key, by_key)
            f = by_key[key]
            assert all("502 upstream" in (c.error or "") for c in f.connections), describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_chain_whose_first_proxy_is_down_fails_there_datagrams_too() -> None:
    data = designs.upstream_proxy_down(first=True)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    out = [k for k in by_key if k.startswith("out/")]
    assert any(k.endswith("/udp") for k in out)
    for key in out:
        # The datagrams would leave from px2's address, but px1 in front of it runs nothing.
        _failed_at_the_proxy(key, by_key)
    assert_agrees(data, report, sorted(by_key))


def test_expressroute_names_bypass_a_cloud_proxy_that_connects_from_the_internet() -> None:
    data = designs.cloud_proxy()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0 and edges(f) <= C1, describe(f)
    f = by_key["out/hq/8"]
    # The clients' leg to the proxy leaves by hq's breakout; the proxy connects from its own
    # address on the internet, which is what the server sees.
    assert f.completed == f.attempted > 0, describe(f)
    assert edges(f) == edges(f, back=True) == {"breakout:hq-inet"}, describe(f)
    assert {c.seen for c in f.connections} == {designs.CLOUD}, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_cloud_proxy_whose_site_breakout_is_down() -> None:
    data = designs.cloud_proxy(breakout_up=False)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    # Nothing resolves: the resolver's queries leave by hq's breakout only.
    for key, f in by_key.items():
        assert f.completed == 0 and {c.outcome for c in f.connections} == {"unreachable"}, key
    assert_agrees(data, report, sorted(by_key))


def test_a_cloud_proxy_reached_by_another_breakout_when_its_site_breakout_is_down() -> None:
    data = designs.cloud_proxy_breakout_down_with_another()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    f = by_key["out/hq/8"]
    assert f.completed == f.attempted > 0, describe(f)
    assert edges(f) == edges(f, back=True) == {"breakout:dc-inet"}, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_clients_of_a_proxy_only_site_reach_their_cloud_proxy_by_the_breakout() -> None:
    data = designs.cloud_proxy_for_everything(closed=True)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    out = sorted(k for k in by_key if k.startswith("out/"))
    assert "out/hq/1/udp" in out
    for key in out:
        # The breakout refuses these clients' own connections, but not towards the proxy; its
        # datagrams too, which the proxy relays from its own address.
        f = by_key[key]
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) == edges(f, back=True) == {"breakout:hq-inet"}, describe(f)
        assert {c.seen for c in f.connections} == {designs.CLOUD}, describe(f)
    assert_agrees(data, report, ["dns/hq", *out])


def test_a_cloud_proxy_that_is_down_is_tried_over_the_internet() -> None:
    data = designs.cloud_proxy_down()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    f = by_key["out/hq/8"]
    assert f.completed == 0 and {c.outcome for c in f.connections} == {"unreachable"}, describe(f)
    # The clients' connections leave by the breakout; nothing on the internet answers them.
    assert edges(f) == {"breakout:hq-inet"} and not edges(f, back=True), describe(f)
    assert_agrees(data, report, sorted(by_key))
