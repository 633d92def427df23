"""Designs for what the emulation once could not show: a connection that loops while its name
resolves, and datagrams through a cloud proxy (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, design, site


def connections_loop_names_resolve() -> dict[str, Any]:
    """a designates b's breakout and b designates a's: a's internet traffic goes round between
    the two site routers until the kernel's TTL ends it. a's resolver egress is c's breakout,
    which c's own router uses: its names resolve, only its connections loop."""
    return design(
        "connections loop while names resolve",
        {
            "a": site("New York", ["10.187.0.0/16"], breakout="b-inet", resolver_egress="c-inet"),
            "b": site("Washington DC", ["10.188.0.0/16"], users=0, breakout="a-inet"),
            "c": site("Chicago", ["10.189.0.0/16"], users=0),
        },
        wan=[
            {"between": ["a", "b"], "latency_ms": 5},
            {"between": ["a", "c"], "latency_ms": 20},
        ],
        breakouts={
            "a-inet": breakout("a", "20.136.8.1/32", "20.136.8.0/24"),
            "b-inet": breakout("b", "20.136.9.1/32", "20.136.9.0/24"),
            "c-inet": breakout("c", "20.136.10.1/32", "20.136.10.0/24"),
        },
    )
