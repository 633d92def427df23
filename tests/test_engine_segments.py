"""Routed stretches between routers (engine/segments.py): what a packet meets between two
stateful boxes - the devices on a wire, each router's decision, where the stretch ends - as the
trace shows it (docs/flow-semantics.md "The network": "A device is a bump in the wire: it makes
no routing decision")."""

from __future__ import annotations

from _semantics import flow, one_site, owners, results, share


def test_a_stateless_device_on_the_way_is_a_hop_that_decides_nothing() -> None:
    """us-er's circuit firewall keeps no state: the routed stretch crosses it, both ways, as a
    hop of its own between the site router and the customer edge, named by its kind and name,
    with no routing decision of its own."""
    d = one_site(devices=["fw"])
    d["devices"] = {"fw": {"site": "us", "stateful": False}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, r.share_affected) == ("ok", 0.0)
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        fwd = [(h.label, h.action) for h in b.forward.hops]
        back = [(h.label, h.action) for h in b.back.hops]
        i = fwd.index(("firewall fw", ""))
        assert (fwd[i - 1][0], fwd[i + 1][0]) == ("site us", "customer edge us-er")
        j = back.index(("firewall fw", ""))
        assert (back[j - 1][0], back[j + 1][0]) == ("customer edge us-er", "site us")


def test_a_request_microsoft_filters_stops_at_the_msee_which_says_only_why() -> None:
    """us-er advertises nothing, so Microsoft's inbound filter drops the translated source at
    the MSEE of each link: the path ends there, and the MSEE's hop says why and nothing more
    (it makes no routing decision of its own); the hops before say how they routed."""
    r = flow(results(one_site(advertises=[])), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "source-filter")
    for b in r.trace.branches:
        *before, last = b.forward.hops
        assert b.forward.edge is not None  # circuit:us-er/LINK
        assert (last.node, last.action) == (f"msee:{b.forward.edge[8:]}", b.forward.reason)
        assert b.forward.reason.startswith("Microsoft drops the source 20.2.2.0:")
        assert [h.action for h in before[1:3]] == [
            "ExpressRoute route via us-er",
            "ExpressRoute route via us-er; source NAT into 20.2.2.0/29",
        ]


def test_a_packet_that_reaches_its_destination_says_delivered() -> None:
    """us's Exchange flow works both ways: the request ends at Microsoft, the reply at the
    hosts of us, and each path says so as the JSON output shows it, with no cause beyond
    "delivered"."""
    r = flow(results(one_site()), "out/us/1")
    assert (r.verdict.value, r.share_affected) == ("ok", 0.0)
    for b in r.trace.branches:
        assert b.back is not None
        for path, last in ((b.forward, "microsoft"), (b.back, "lan:us")):
            out = path.to_dict()
            assert (out["disposition"], out["reason"], out["cause"]) == ("delivered",) * 3
            assert out["hops"][-1]["node"] == last
