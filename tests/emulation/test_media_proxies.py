"""Datagrams (Teams media) through a cloud proxy, built for real. DESIGN "Proxy": a flow sent
to a proxy starts again at the proxy, whatever its protocol; the model's UDP flow takes its TCP
flow's path. The clients (or the last proxy on premises of a chain) send the datagrams to the
cloud proxy over their breakout, on the flow's own port; its relay sends them on from its own
address and returns the answers. Model and emulation agree flow by flow."""

from __future__ import annotations

import pytest

from emulation import designs_gaps
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping
from emulation.designs_proxies import CLOUD

pytestmark = pytest.mark.emulation

MEDIA = ("out/hq/11", "out/hq/12/udp")  # media only (UDP 3478-3481); a set's /udp flow


def _media(report_flows: dict) -> list[str]:
    assert all(report_flows[k].spec.proto == "udp" for k in MEDIA), sorted(report_flows)
    return list(MEDIA)


def test_media_through_a_cloud_proxy_is_relayed_from_its_address() -> None:
    data = designs_gaps.media_through_cloud_proxy(closed=True)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    assert not report.problems, [f.problem for f in report.problems]
    for key in _media(by_key):
        f = by_key[key]
        # Both exchanges of every session completed; the echo saw the proxy, not the site.
        assert f.completed == f.attempted > 0, describe(f)
        assert {c.seen for c in f.connections} == {CLOUD}, describe(f)
        assert edges(f) == edges(f, back=True) == {"breakout:hq-inet"}, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_media_through_a_cloud_proxy_that_is_down_never_leaves_it() -> None:
    data = designs_gaps.media_through_cloud_proxy(up=False)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key in _media(by_key):
        f = by_key[key]
        assert f.attempted > 0 and f.completed == 0, describe(f)
        # Out by the breakout, refused at the proxy's address: its own datagram never left.
        assert {c.stage for c in f.connections} == {"proxy"}, describe(f)
        assert {c.outcome for c in f.connections} == {"unreachable"}, describe(f)
        assert edges(f) == {"breakout:hq-inet"} and not edges(f, back=True), describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_media_through_a_chain_to_a_cloud_proxy_leaves_by_the_chains_breakout() -> None:
    data = designs_gaps.media_through_chain_to_cloud()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key in _media(by_key):
        f = by_key[key]
        assert f.completed == f.attempted > 0, describe(f)
        assert {c.seen for c in f.connections} == {CLOUD}, describe(f)
        assert edges(f) == edges(f, back=True) == {"breakout:dc-inet"}, describe(f)
    assert_agrees(data, report, sorted(by_key))
