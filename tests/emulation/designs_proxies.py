"""Small designs for proxies the emulation builds from the design alone: a proxy that is down
(alone, with the PAC sending ExpressRoute names DIRECT, as the upstream of a chain) and a cloud
proxy service on the internet (with a circuit its site's ExpressRoute names bypass it by, and
with its site's breakout down), as plain data (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, circuit, design, site

CLOUD = "165.225.0.1"  # a cloud proxy's address, on the internet


def proxy_down(mode: str) -> dict[str, Any]:
    """hq's clients use the proxy px, which is down: with ``all`` every flow is sent to it; with
    ``pac`` the ExpressRoute-able names go DIRECT by hq's circuit and only the rest to it."""
    return design(
        f"proxy down, mode {mode}",
        {"hq": site("New York", ["10.240.0.0/16"], proxy={"mode": mode, "device": "px"})},
        breakouts={"hq-inet": breakout("hq", "20.96.9.1/32", "20.96.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.96.0.0/29", advertises=["20.96.0.0/29"])
        },
        devices={"px": {"kind": "proxy", "site": "hq", "address": "10.240.255.10", "up": False}},
    )


def upstream_proxy_down(first: bool = False) -> dict[str, Any]:
    """hq's proxy px1 forwards to px2 at dc; px2 is down (the clients reach px1, whose request
    goes no further), or with ``first`` px1 is (px2 running behind it does not help)."""
    data = _chain("first proxy down" if first else "upstream proxy down")
    data["devices"]["px1" if first else "px2"]["up"] = False
    return data


def _chain(name: str) -> dict[str, Any]:
    return design(
        name,
        {
            "hq": site("New York", ["10.241.0.0/16"], proxy={"mode": "all", "device": "px1"}),
            "dc": site("Washington DC", ["10.242.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.97.9.1/32", "20.97.9.0/24")},
        devices={
            "px1": {"kind": "proxy", "site": "hq", "address": "10.241.255.10", "upstream": "px2"},
            "px2": {"kind": "proxy", "site": "dc", "address": "10.242.255.10"},
        },
    )


def cloud_proxy(breakout_up: bool = True) -> dict[str, Any]:
    """hq's PAC sends ExpressRoute-able names DIRECT (by its circuit) and the rest to a cloud
    proxy service, reached over the internet by hq's breakout; it connects from there."""
    return design(
        "cloud proxy" + ("" if breakout_up else ", breakout down"),
        {"hq": site("New York", ["10.243.0.0/16"], proxy={"mode": "pac", "device": "zs"})},
        breakouts={"hq-inet": breakout("hq", "20.98.9.1/32", "20.98.9.0/24", up=breakout_up)},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.98.0.0/29", advertises=["20.98.0.0/29"])
        },
        devices={"zs": {"kind": "proxy", "site": "hq", "egress": "cloud", "address": CLOUD}},
    )


def cloud_proxy_breakout_down_with_another() -> dict[str, Any]:
    """hq's breakout is down; dc's, across the WAN, is up: hq's default route, its resolver's
    queries and its clients' connections to the cloud proxy fail over to dc's breakout."""
    data = cloud_proxy(breakout_up=False)
    data["name"] = "cloud proxy, breakout down, another breakout across the WAN"
    data["sites"]["dc"] = site("Washington DC", ["10.244.0.0/16"], users=0)
    data["wan"] = [{"between": ["hq", "dc"], "latency_ms": 5}]
    data["breakouts"]["dc-inet"] = breakout("dc", "20.98.10.1/32", "20.98.10.0/24")
    return data


def cloud_proxy_for_everything(closed: bool = False) -> dict[str, Any]:
    """hq sends every name to the cloud proxy (``all``); with ``closed`` its clients may not
    reach the internet directly (the breakout still lets them reach the cloud proxy)."""
    data = cloud_proxy()
    data["name"] = "cloud proxy for everything" + (", proxy-only site" if closed else "")
    data["sites"]["hq"]["proxy"] = {"mode": "all", "device": "zs", "direct_internet": not closed}
    return data


def cloud_proxy_down() -> dict[str, Any]:
    """hq's cloud proxy is down: the clients' connections to it still leave by hq's breakout,
    and nothing answers them there."""
    data = cloud_proxy()
    data["name"] = "cloud proxy down"
    data["devices"]["zs"]["up"] = False
    return data
