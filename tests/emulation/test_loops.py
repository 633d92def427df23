"""A flow's own connections that go round a routing loop, built for real: the kernel's TTL ends
them and its ICMP time exceeded comes back to the client (``IP_RECVERR``, for TCP and UDP as
for the resolver's queries). The emulation says so, and agrees with the model (blackhole)."""

from __future__ import annotations

import pytest

from emulation import designs_gaps
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping
from erplan.emulate.sockets import LOOPED_ERROR

pytestmark = pytest.mark.emulation


@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "proxied"])
def test_connections_that_loop_are_lost_to_the_loop_while_names_resolve(proxied: bool) -> None:
    """``proxied``: the third-party set goes through a's proxy, whose own connection loops (it
    tells its client so); the other sets go direct, as without it."""
    data = designs_gaps.connections_loop_names_resolve(proxied)
    report = run_mapping(data, connections=6)
    by_key = flows(report)
    dns = by_key["dns/a"]
    # The names resolve by c's breakout: what fails is the connections themselves.
    assert dns.completed == dns.attempted > 0, describe(dns)
    assert edges(dns) == edges(dns, back=True) == {"breakout:c-inet"}, describe(dns)
    out = [k for k in by_key if k.startswith("out/a/")]
    assert any(by_key[k].spec.proto == "udp" for k in out), out
    assert proxied == any(by_key[k].spec.proxy_address for k in out), out
    for key in out:
        f = by_key[key]
        assert f.attempted > 0 and f.completed == 0 and not edges(f), describe(f)
        for c in f.connections:
            # Told by the kernel, not guessed from a timeout or "No route to host".
            assert c.answer and c.error == LOOPED_ERROR, describe(f)
            assert c.outcome == "blackhole", describe(f)
        assert f"{f.attempted} failed at " in "; ".join(f.evidence), describe(f)
    assert_agrees(data, report, sorted(by_key))
