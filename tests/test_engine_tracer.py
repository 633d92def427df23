"""Each kind of flow as the tracer follows it: the DNS query to the resolver and out of its
egress, the legs a proxied flow needs first, the connection itself with geoDNS's answers and
their shares, inbound connections from where their initiator stands (docs/flow-semantics.md
"Flows", DESIGN.md "Flow semantics" outbound steps 1-2)."""

from __future__ import annotations

from typing import Any

from _semantics import breakout, design, flow, results, share, site


def _resolver_elsewhere(**extra: Any) -> dict[str, Any]:
    """us resolves through the breakout at eu; us has a breakout of its own too."""
    return design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=100, resolver_egress="eu-inet"),
            "eu": site("Amsterdam", "10.2.0.0/16", users=50),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={
            "us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24"),
            "eu-inet": breakout("eu", "20.2.5.1/32", "20.2.5.0/24", **extra),
        },
    )


def test_a_resolver_egress_that_is_down_fails_every_flow_of_the_site_it_serves() -> None:
    """DESIGN.md outbound step 2: the queries must leave by the resolver egress; it is down, so
    no query is answered although the site's own breakout works: every flow of us is
    unreachable by DNS, and eu (which resolves by its own, down breakout) too."""
    rs = results(_resolver_elsewhere(up=False))
    r = flow(rs, "dns/us")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.culprit == ("breakouts", "eu-inet")
    assert "eu-inet, the resolver egress of site us, is down" in r.cause
    out = flow(rs, "out/us/8")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")
