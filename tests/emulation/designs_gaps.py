"""Designs for what the emulation once could not show: a connection that loops while its name
resolves, and datagrams through a cloud proxy (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation import designs_proxies
from emulation.designs import breakout, design, site
from emulation.designs_proxies import CLOUD


def connections_loop_names_resolve(proxied: bool = False) -> dict[str, Any]:
    """a designates b's breakout and b designates a's: a's internet traffic goes round between
    the two site routers until the kernel's TTL ends it. a's resolver egress is c's breakout,
    which c's own router uses: its names resolve, only its connections loop. ``proxied``: a's
    PAC sends the names ExpressRoute cannot carry to a proxy at a, whose own connections loop."""
    data = design(
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
    if proxied:
        data["sites"]["a"]["proxy"] = {"mode": "pac", "device": "px"}
        data["devices"] = {"px": {"kind": "proxy", "site": "a", "address": "10.187.255.10"}}
    return data


TEAMS = {"geography": "US", "services": ["Skype"]}  # media: UDP 3478-3481, and TCP with UDP


def media_through_cloud_proxy(closed: bool = True, up: bool = True) -> dict[str, Any]:
    """designs_proxies.cloud_proxy_for_everything with Teams: the media's datagrams go to the
    cloud proxy over hq's breakout, which relays them from its own address on the internet
    (DESIGN "Proxy": the flow starts again at the proxy). ``up`` False: nothing runs there."""
    data = designs_proxies.cloud_proxy_for_everything(closed)
    data["name"] = "media through a cloud proxy" + ("" if up else ", proxy down")
    data["tenant"] = dict(TEAMS)
    data["devices"]["zs"]["up"] = up
    return data


def media_through_chain_to_cloud() -> dict[str, Any]:
    """hq's clients use px1 at dc, whose upstream is the cloud proxy: px1 relays the media to
    it over dc's breakout (hq has none), and the cloud proxy on to Microsoft."""
    return design(
        "media through a proxy chain ending in the cloud",
        {
            "hq": site("New York", ["10.245.0.0/16"], proxy={"mode": "all", "device": "px1"}),
            "dc": site("Washington DC", ["10.246.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={"dc-inet": breakout("dc", "20.99.9.1/32", "20.99.9.0/24")},
        devices={
            "px1": {"kind": "proxy", "site": "dc", "address": "10.246.255.10", "upstream": "zs"},
            "zs": {"kind": "proxy", "site": "dc", "egress": "cloud", "address": CLOUD},
        },
    ) | {"tenant": dict(TEAMS)}
