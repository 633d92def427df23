"""UDP media flows built for real: datagrams to the front end's echo on the media port, a reply,
then the initiator's next datagram and its reply. Model and emulation agree flow by flow (share
failed, outcome classes, edges out and back), for the reason the design gives."""

from __future__ import annotations

from typing import Any

import pytest

from emulation import designs
from emulation.conftest_helpers import assert_agrees, describe, flows, model_flows, run_mapping
from erplan.emulate import nft
from erplan.emulate.run import REASONS

pytestmark = pytest.mark.emulation

MEDIA_SET = 11  # Teams and Skype media: UDP 3478-3481 only
TENANT = {"geography": "US", "services": ["Skype"]}


def _media_keys(report_flows: dict[str, Any], site: str) -> list[str]:
    """The site's UDP flows: the media set's own flow and every set's ``/udp`` flow."""
    keys = [k for k in report_flows if k.startswith(f"out/{site}/")]
    udp = [k for k in keys if k.endswith("/udp") or k == f"out/{site}/{MEDIA_SET}"]
    assert f"out/{site}/{MEDIA_SET}" in udp and any(k.endswith("/udp") for k in udp), keys
    assert all(report_flows[k].spec.proto == "udp" for k in udp)
    return udp


def snat_over_expressroute() -> dict[str, Any]:
    """One circuit translating the site's private range into its pool: media works over it."""
    d = designs.design(
        "media over ExpressRoute with SNAT",
        {"hq": designs.site("New York", ["10.60.0.0/16"])},
        breakouts={"hq-inet": designs.breakout("hq", "20.60.9.1/32", "20.60.9.0/24")},
        circuits={
            "c1": designs.circuit(
                "hq", "New York", snat_pool="20.60.1.0/29", advertises=["20.60.1.0/29"]
            ),
        },
    )
    d["tenant"] = dict(TENANT)
    return d


def reply_bypasses_firewall() -> dict[str, Any]:
    """designs.forward_only_state with Teams: requests leave through fw1 by c1, replies come
    back by c2 and never cross fw1, which drops the client's next datagram."""
    d = designs.forward_only_state()
    d["tenant"] = dict(TENANT)
    return d


def test_media_over_expressroute_with_snat_works_and_agrees() -> None:
    data = snat_over_expressroute()
    report = run_mapping(data, connections=12)
    assert not report.problems, [f.problem for f in report.problems]
    by_key = flows(report)
    udp = _media_keys(by_key, "hq")
    pool = {f"20.60.1.{i}" for i in range(8)}
    for key in udp:
        f = by_key[key]
        assert f.completed == f.attempted > 0, describe(f)
        # The echo saw each datagram from the circuit's pool: SNAT translated it, and the
        # session reversed the reply.
        assert {c.seen for c in f.connections} <= pool, describe(f)
        assert {c.outcome for c in f.connections} == {"ok"}, describe(f)
        assert all(c.forward and c.back for c in f.connections), describe(f)
        crossed = {e for c in f.connections for e in (*c.forward, *c.back)}
        assert all(e.startswith("circuit:c1/") for e in crossed), describe(f)
    assert_agrees(data, report, udp)


def test_media_reply_bypassing_the_firewall_is_dropped_in_both() -> None:
    data = reply_bypasses_firewall()
    model = model_flows(data)
    report = run_mapping(data, connections=12)
    assert not report.problems, [f.problem for f in report.problems]
    by_key = flows(report)
    udp = _media_keys(by_key, "hq")
    for key in udp:
        assert model[key]["verdict"] == "dropped", model[key]
        f = by_key[key]
        assert f.attempted > 0 and f.completed == 0, describe(f)
        for c in f.connections:
            # The first reply arrived (by c2); fw1, which never saw it, dropped the next.
            assert c.stage == "next", describe(f)
            assert {reason for _, reason in c.drops} == {REASONS[nft.DROP_STATE]}, describe(f)
            assert all("fw1" in where for where, _ in c.drops), describe(f)
            assert c.outcome == "dropped", describe(f)
    assert_agrees(data, report, udp)
