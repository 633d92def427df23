"""What a user reads of a trace (`erplan trace --format json`, `verify --format json`): every
hop with the addresses it left with and the translation it made, each branch's share, edges and
outcome, totals that are the sum of the hops shown (DESIGN.md "Latency")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any

from _semantics import (
    INET_SET,
    breakout,
    circuit,
    design,
    edges,
    flow,
    one_site,
    results,
    site,
    two_sites,
)
from erplan.engine.trace import Outcome

HOP_KEYS = {"node", "label", "action", "src", "dst"}
PATH_KEYS = {"disposition", "edge", "cause", "reason", "ms", "hops"}
SUMMARY_KEYS = {"weight", "forward_edge", "return_edge", "outcome"}
POOL = IPv4Network("20.2.2.0/29")
SITE = IPv4Network("10.1.0.0/16")


def _branches(d: dict[str, Any], key: str, detail: bool = True) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = flow(results(d), key).to_dict(detail=detail)["branches"]
    return out


def _tie() -> dict[str, Any]:
    """Two circuits tied at one site; c2 advertises another prefix than its pool, so Microsoft
    drops its translated sources on entry."""
    return design(
        sites={"s": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            "c1": circuit("s", "New York", "20.2.2.0/29"),
            "c2": circuit("s", "New York", "20.2.2.8/29", advertises=["20.2.3.0/24"]),
        },
    )


def test_each_hop_shows_its_node_and_the_addresses_it_left_with() -> None:
    """One site, one circuit with a pool at its customer edge: the request leaves the hosts
    with a site address, the edge translates it into the pool (and says from what), the reply
    is translated back there to the host it came from."""
    for b in _branches(one_site(), "out/us/1"):
        fwd, back = b["forward"], b["return"]
        assert set(fwd) == PATH_KEYS and set(back) == PATH_KEYS
        hops = fwd["hops"]
        assert [h["node"] for h in hops][:3] == ["lan:us", "site:us", "ce:us-er"]
        assert hops[-1]["node"] == "microsoft"
        host = IPv4Address(hops[0]["src"])
        assert host in SITE
        snat = [h for h in hops if "src_before" in h]
        assert [h["node"] for h in snat] == ["ce:us-er"]
        assert snat[0]["src_before"] == str(host)
        translated = IPv4Address(snat[0]["src"])
        assert translated in POOL
        assert "source NAT into 20.2.2.0/29" in snat[0]["action"]
        after = hops[hops.index(snat[0]) :]
        assert {h["src"] for h in after} == {str(translated)}
        assert {h["dst"] for h in hops} == {hops[0]["dst"]}
        assert not any("dst_before" in h for h in hops)
        # the reply comes back to the pool address and is translated to the host at the edge
        rhops = back["hops"]
        assert rhops[0]["node"] == "microsoft" and rhops[-1]["node"] == "lan:us"
        unnat = [h for h in rhops if "dst_before" in h]
        assert [h["node"] for h in unnat] == ["ce:us-er"]
        assert unnat[0]["dst_before"] == str(translated)
        assert unnat[0]["dst"] == str(host)
        assert rhops[-1]["dst"] == str(host)
        assert not any("src_before" in h for h in rhops)
        for h in hops + rhops:
            assert HOP_KEYS <= set(h) <= HOP_KEYS | {"src_before", "dst_before", "ms", "estimated"}


def test_a_path_total_is_the_sum_of_its_hops_and_a_branch_the_sum_of_both_ways() -> None:
    """DESIGN.md "Latency": "A trace's total is the sum of the hops it shows"; the round trip
    of a branch is its request's legs plus its reply's."""
    for b in _branches(one_site(), "out/us/1"):
        for path in (b["forward"], b["return"]):
            legs = [h["ms"] for h in path["hops"] if "ms" in h]
            assert legs, "the path crosses at least one leg"
            assert abs(path["ms"] - sum(legs)) < 0.011
            assert all(h["ms"] > 0 for h in path["hops"] if "ms" in h)
            # a hop reached by a leg says whether its figure is estimated; the others say nothing
            for h in path["hops"]:
                assert ("estimated" in h) == ("ms" in h)
                if "ms" in h:
                    assert h["estimated"] is True  # nothing in this design gives a latency
        assert abs(b["latency_ms"] - (b["forward"]["ms"] + b["return"]["ms"])) < 0.011
        assert b["latency_ms"] > b["forward"]["ms"] > 0


def test_latencies_are_shown_in_hundredths_and_shares_in_millionths() -> None:
    """The JSON gives milliseconds to 0.01 and shares to 1e-6 (docs/flow-semantics.md
    "Comparing the model with the emulation" reads those shares): three tied circuits make
    twelve branches of 1/12 each, and the estimated legs to Washington have many decimals."""
    d = design(
        sites={"s": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            name: circuit("s", "Washington DC", pool)
            for name, pool in (("c1", "20.2.2.0/29"), ("c2", "20.2.2.8/29"), ("c3", "20.2.2.16/29"))
        },
    )
    r = flow(results(d), "out/s/1")
    branches = r.to_dict(detail=True)["branches"]
    assert len(branches) == 12
    assert {b["weight"] for b in branches} == {0.083333}
    for b, raw in zip(branches, r.trace.branches, strict=True):
        assert b["latency_ms"] == round(raw.ms, 2) != raw.ms
        for path, rpath in ((b["forward"], raw.forward), (b["return"], raw.back)):
            assert rpath is not None
            assert path["ms"] == round(rpath.ms, 2) != rpath.ms
            for h, rh in zip(path["hops"], rpath.hops, strict=True):
                assert h.get("ms", 0.0) == round(rh.ms, 2)


def test_a_given_latency_is_shown_as_given_and_the_rest_as_estimated() -> None:
    """docs/design-format.md circuits.access_latency_ms: the round trip from the site's users to
    the Microsoft edge at the peering location. Given as 6 ms, the leg to the MSEE is 3 ms each
    way and not estimated; the backbone on to the front end still is."""
    d = one_site()
    d["circuits"]["us-er"]["access_latency_ms"] = 6.0
    r = flow(results(d), "out/us/1")
    for b in r.to_dict(detail=True)["branches"]:
        fwd = {h["node"].split("/")[0]: h for h in b["forward"]["hops"] if "ms" in h}
        assert (fwd["msee:us-er"]["ms"], fwd["msee:us-er"]["estimated"]) == (3.0, False)
        assert fwd["microsoft"]["estimated"] is True
        back = {h["node"].split("/")[0]: h for h in b["return"]["hops"] if "ms" in h}
        assert (back["link:us-er"]["ms"], back["link:us-er"]["estimated"]) == (3.0, False)
    assert all(b.estimated for b in r.trace.branches)


def test_a_given_internet_latency_stays_given_at_the_nearest_front_end() -> None:
    """docs/design-format.md sites.internet_latency_ms: the round trip from the site to the
    Microsoft network over its internet egress. Given as 9 ms and the flow's front end the one
    nearest the breakout, the internet leg is 4.5 ms each way and nothing in it is estimated."""
    d = one_site()
    d["sites"]["us"]["internet_latency_ms"] = 9.0
    r = flow(results(d), "out/us/8")
    assert r.latency is not None and (r.latency.ms, r.latency.estimated) == (9.0, False)
    for b in r.to_dict(detail=True)["branches"]:
        (leg,) = [h for h in b["forward"]["hops"] if "ms" in h]
        assert (leg["node"], leg["ms"], leg["estimated"]) == ("internet", 4.5, False)
    assert not any(b.estimated for b in r.trace.branches)


def test_branch_shares_add_up_and_the_summary_names_edges_and_outcome() -> None:
    """Four branches: two links out, two links back, a quarter of the connections each."""
    summary = _branches(one_site(), "out/us/1", detail=False)
    assert all(set(b) == SUMMARY_KEYS for b in summary)
    assert sorted((b["forward_edge"], b["return_edge"], b["weight"]) for b in summary) == [
        (f"circuit:us-er/{a}", f"circuit:us-er/{z}", 0.25)
        for a in ("primary", "secondary")
        for z in ("primary", "secondary")
    ]
    assert {b["outcome"] for b in summary} == {"ok"}
    detail = _branches(one_site(), "out/us/1")
    assert [{k: b[k] for k in SUMMARY_KEYS} for b in detail] == summary
    assert all(b["reason"] == "" and "ties" not in b for b in detail)


def test_a_request_dropped_on_the_way_has_no_return_and_names_its_tie() -> None:
    """c2's branches are dropped by Microsoft's source filter: no reply, the request's legs
    counted both ways; every branch says which undecided tie it went through."""
    r = flow(results(_tie()), "out/s/1")
    assert r.trace.worst is Outcome.DROPPED
    assert round(r.trace.share_affected, 6) == 0.5
    assert len(r.trace.ties) == 1 and "c1, c2" in r.trace.ties[0]
    branches = r.to_dict(detail=True)["branches"]
    assert round(sum(b["weight"] for b in branches), 6) == 1.0
    dropped = [b for b in branches if b["outcome"] == "dropped"]
    assert {b["forward_edge"] for b in dropped} == {"circuit:c2/primary", "circuit:c2/secondary"}
    for b in dropped:
        assert b["return"] is None and b["return_edge"] is None
        assert b["forward"]["disposition"] == "dropped"
        assert b["forward"]["cause"] == "source-filter"
        assert "20.2.2.8" in b["reason"] and "c2" in b["reason"]
        assert b["latency_ms"] == round(2 * b["forward"]["ms"], 2)
    for b in branches:
        assert b["ties"] == list(r.trace.ties)
    ok = [b for b in branches if b["outcome"] == "ok"]
    assert round(sum(b["weight"] for b in ok), 6) == 0.5
    assert all(b["return"]["disposition"] == "delivered" for b in ok)


def test_split_answers_name_the_front_end_of_each_branch() -> None:
    """r's queries leave by two breakouts, geoDNS answers New York for one half and Amsterdam
    for the other: each branch says which front end it connected to."""
    d = design(
        sites={
            "r": site({"lat": 52.0, "lon": -30.0}, "10.1.0.0/16", users=100),
            "a": site("New York", "10.2.0.0/16"),
            "b": site("Amsterdam", "10.3.0.0/16"),
        },
        wan=[{"between": ["r", "a"], "latency_ms": 10}, {"between": ["r", "b"], "latency_ms": 10}],
        breakouts={
            "r-inet": breakout("r", "20.2.6.1/32", "20.2.6.0/24", up=False),
            "a-inet": breakout("a", "20.2.4.1/32", "20.2.4.0/24"),
            "b-inet": breakout("b", "20.2.5.1/32", "20.2.5.0/24"),
        },
        circuits={"er": circuit("a", "New York", "20.2.2.0/29")},
    )
    r = flow(results(d), "out/r/1")
    out = r.to_dict()
    shares: dict[str, float] = {}
    for b in out["branches"]:
        assert set(b) == SUMMARY_KEYS | {"front_end"}
        shares[b["front_end"]] = shares.get(b["front_end"], 0.0) + b["weight"]
    assert {k: round(v, 6) for k, v in shares.items()} == {"New York": 0.5, "Amsterdam": 0.5}
    assert {a["front_end"]: a["share"] for a in out["answers"]} == {
        "New York": 0.5,
        "Amsterdam": 0.5,
    }


def test_outcomes_that_work_and_their_order() -> None:
    """A flow is judged by its worst branch: unreachable over dropped or blackholed, over
    asymmetric, over ok; only ok and asymmetric connections work."""
    assert [o for o in Outcome if o.works] == [Outcome.OK, Outcome.ASYMMETRIC]
    assert Outcome.OK.rank < Outcome.ASYMMETRIC.rank < Outcome.DROPPED.rank
    assert Outcome.DROPPED.rank == Outcome.BLACKHOLE.rank < Outcome.UNREACHABLE.rank


def test_a_failing_later_leg_of_a_proxy_chain_is_told_before_the_flow() -> None:
    """eu's clients reach px1 (at eu), which forwards to px2 (at us), which is down: the flow
    fails at the second leg, and what `erplan trace` says happened first names that leg,
    although the first leg, which combines last, works."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "device": "px1"}
    d["devices"] = {
        "px1": {"kind": "proxy", "site": "eu", "address": "10.2.9.9", "upstream": "px2"},
        "px2": {"kind": "proxy", "site": "us", "address": "10.1.9.9", "up": False},
    }
    r = flow(results(d), f"out/eu/{INET_SET}")
    assert (r.verdict.value, r.cause_key, r.culprit) == ("unreachable", "proxy", ("devices", "px2"))
    assert edges(r) == {(None, None, "unreachable"): 1.0}
    assert r.trace.before == (
        ("the connection to the proxy px2 fails", 1.0, "the proxy px2 is down"),
    )
