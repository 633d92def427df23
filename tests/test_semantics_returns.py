"""Where the reply comes back (docs/flow-semantics.md "Routing", "State"): small designs in which
the request leaves or enters as intended and a tool that judged the request alone would say
"ok". Each design was also built for real (`erplan emulate`), with the same verdict, share and
edges each way; the designs live in tests/emulation/designs_returns.py."""

from __future__ import annotations

import pytest

from _semantics import (
    breakout,
    circuit,
    design,
    edges,
    flow,
    hop_nodes,
    inbound,
    owners,
    results,
    service,
    share,
    site,
)
from emulation import designs_returns as d
from erplan.analyses.verdicts import FlowResult


def _back_causes(r: FlowResult) -> dict[str | None, float]:
    """Weight per reason the reply failed or arrived (``delivered``)."""
    out: dict[str | None, float] = {}
    for b in r.trace.branches:
        key = b.back.cause if b.back is not None else None
        out[key] = round(out.get(key, 0.0) + b.weight, 6)
    return out


def test_a_circuit_whose_route_filter_refuses_the_service_still_takes_half_the_replies() -> None:
    """c2 carries no Exchange request (its route filter admits SharePoint only), but Microsoft
    returns to hq's /24 by every link that advertises it: half the replies meet c2's firewall,
    which saw no request."""
    rs = results(d.filter_without_the_service())
    r = flow(rs, "out/hq/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert owners(r) == {"circuit:c1": 1.0}
    assert owners(r, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    assert _back_causes(r) == {"delivered": 0.5, "no-session": 0.5}
    assert r.cause_key == "return-elsewhere"
    assert r.culprit == ("circuits", "c2", "advertises", 0)
    assert flow(rs, "out/hq/8").verdict.value == "ok"


def test_prepending_one_side_of_a_shared_pool_breaks_that_side_entirely() -> None:
    """Figure 16's shared pool with eu-er's advertisement prepended: Microsoft's shortest AS
    path takes every reply to us-er. The prepend does not halve the damage, it moves it all
    onto eu's users."""
    rs = results(d.shared_pool_prepended())
    us, eu = flow(rs, "out/us/1"), flow(rs, "out/eu/1")
    assert us.verdict.value == "ok" and share(us) == 0.0
    assert edges(us).keys() == {
        (f"circuit:us-er/{a}", f"circuit:us-er/{b}", "ok")
        for a in ("primary", "secondary")
        for b in ("primary", "secondary")
    }
    assert eu.verdict.value == "dropped" and share(eu) == 1.0
    assert owners(eu) == {"circuit:eu-er": 1.0}
    assert owners(eu, "back") == {"circuit:us-er": 1.0}
    assert eu.cause_key == "return-elsewhere"
    assert eu.culprit == ("circuits", "us-er", "advertises", 0)


@pytest.mark.parametrize("pools", [False, True])
def test_multipath_over_two_circuits_with_one_firewall(pools: bool) -> None:
    """Declared multipath: each request takes either circuit and, without NAT, Microsoft
    returns either way on its own; a crossed connection fails at fw1 whichever way it crossed
    (bypassed on the way back, or met with no session). A pool per circuit keeps every reply
    on its request's circuit."""
    r = flow(results(d.multipath_one_firewall(pools)), "out/hq/1")
    assert not r.tie  # multipath is declared: an ECMP, not an undecided tie
    assert owners(r) == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    if pools:
        assert r.verdict.value == "ok" and share(r) == 0.0
        assert owners(r, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}
        assert {(str(f).split("/")[0], str(b).split("/")[0]) for f, b, _ in edges(r)} == {
            ("circuit:c1", "circuit:c1"),
            ("circuit:c2", "circuit:c2"),
        }
        return
    assert r.verdict.value == "dropped" and share(r) == 0.5
    assert _back_causes(r) == {"delivered": 0.5, "bypass": 0.25, "no-session": 0.25}
    assert r.cause_key == "return-elsewhere"


def test_a_private_peer_asn_wins_microsofts_as_path_comparison() -> None:
    """Microsoft strips a private peer ASN: c2's path is shorter than c1's (one public ASN),
    so every reply comes back by c2 while local preference sends every request by c1."""
    r = flow(results(d.public_and_private_asn()), "out/hq/1")
    assert r.verdict.value == "dropped" and share(r) == 1.0
    assert owners(r) == {"circuit:c1": 1.0}
    assert owners(r, "back") == {"circuit:c2": 1.0}
    assert _back_causes(r) == {"no-session": 1.0}
    assert r.culprit == ("circuits", "c2", "advertises", 0)


def test_an_untranslated_breakout_whose_prefix_is_on_expressroute() -> None:
    """The breakout sends hq's own public addresses; Microsoft has the same /24 from c1 and
    from the internet and takes ExpressRoute at equal length: every reply bypasses the
    breakout's firewall. The DNS flow, answered from the internet, is fine."""
    rs = results(d.untranslated_breakout())
    assert flow(rs, "dns/hq").verdict.value == "ok"
    for key in ("out/hq/1", "out/hq/8"):
        r = flow(rs, key)
        assert r.verdict.value == "dropped" and share(r) == 1.0, key
        assert owners(r) == {"breakout:hq-inet": 1.0}
        assert owners(r, "back") == {"circuit:c1": 1.0}
        assert _back_causes(r) == {"bypass": 1.0}
        assert r.cause_key == "internet-nat-overlap"
        assert r.culprit == ("circuits", "c1", "advertises", 0)


def test_a_wan_cut_leaves_replies_to_the_circuit_that_advertises_the_site() -> None:
    """eu falls back to its own breakout, and its requests get out; Microsoft still returns
    to eu's /24 by us-er, which has no way on to eu: every connection is lost on the way
    back, to the circuit whose advertisement pulls it there."""
    r = flow(results(d.wan_down_outbound()), "out/eu/1")
    assert r.verdict.value == "blackhole" and share(r) == 1.0
    assert owners(r) == {"breakout:eu-inet": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}
    assert _back_causes(r) == {"no-route": 1.0}
    assert r.cause_key == "internet-nat-overlap"
    assert r.culprit == ("circuits", "us-er", "advertises", 0)


def test_a_wan_cut_does_not_move_microsoft_to_the_internet_entry() -> None:
    """Microsoft prefers the /32 it learns over ExpressRoute to the internet's /24 whatever
    happens behind the circuit: its connections enter by us-er and go no further. Internet
    users enter at eu and are served."""
    rs = results(d.wan_down_inbound())
    r = inbound(rs, "app")
    assert r.verdict.value == "blackhole" and share(r) == 1.0
    assert edges(r) == {
        ("circuit:us-er/primary", None, "blackhole"): 0.5,
        ("circuit:us-er/secondary", None, "blackhole"): 0.5,
    }
    # The cause is the cut, not a missing route of the origin's.
    assert r.cause_key == "down"
    assert r.culprit == ("wan", 0, "up")
    assert "WAN link between us and eu is down" in r.cause
    web = inbound(rs, "app", "internet")
    assert web.verdict.value == "ok"
    assert edges(web) == {("breakout:eu-inet", "breakout:eu-inet", "ok"): 1.0}


def test_a_wan_cut_between_two_parts_of_several_sites_is_named() -> None:
    """As above, with the circuit's site and the service's each joined to one more site, and
    neither listed first in its WAN link: us-er's edge at us (joined to us2) has no way on to
    eu2 (joined to eu) since the one link between the two parts is down; the cause is that
    link, whichever site of each part the WAN lists first."""
    data = design(
        sites={
            "us2": site("Chicago", "10.77.0.0/16"),
            "us": site("New York", "10.78.0.0/16"),
            "eu": site("Amsterdam", "10.80.0.0/16"),
            "eu2": site("London", "10.79.0.0/16"),
        },
        wan=[
            {"between": ["us2", "us"], "latency_ms": 20},
            {"between": ["eu", "eu2"], "latency_ms": 10},
            {"between": ["us2", "eu"], "latency_ms": 80, "up": False},
        ],
        breakouts={"eu-inet": breakout("eu2", "20.78.9.1/32", "20.78.0.0/24")},
        circuits={"us-er": circuit("us", "New York", None, advertises=["20.78.0.10/32"])},
        services={
            "app": service(
                "eu2",
                "20.78.0.10",
                "10.79.1.10",
                ["expressroute", "internet"],
                initiator="Exchange",
                ports=[443],
                used_by_internet_users=True,
            )
        },
    )
    r = inbound(results(data), "app")
    assert (r.verdict.value, share(r)) == ("blackhole", 1.0)
    assert owners(r) == {"circuit:us-er": 1.0}
    assert r.cause_key == "down"
    assert r.culprit == ("wan", 2, "up")
    assert r.cause.startswith("the WAN link between us2 and eu is down: customer edge us-er")


@pytest.mark.parametrize("inbound_snat", [False, True])
def test_an_entry_beside_a_preferred_circuit(inbound_snat: bool) -> None:
    """app enters by c1; c2 has the higher local preference. Without inbound source NAT the
    server's router sends the reply to c2 (guide 001 Problem 2). With it, the reply does come
    back to c1's edge, which translates it back and forwards it by its own table, where c2's
    route wins too: lost at c2 all the same."""
    r = inbound(results(d.entry_beside_a_preferred_circuit(inbound_snat)), "app")
    assert r.verdict.value == "dropped" and share(r) == 1.0
    assert owners(r) == {"circuit:c1": 1.0}
    assert owners(r, "back") == {None: 1.0}
    assert _back_causes(r) == {"no-session": 1.0}
    assert "ce:c2" in hop_nodes(r)
    assert ("ce:c1" in hop_nodes(r)) is inbound_snat
    # Source NAT is not the fix the finding may name: c1's own preference is.
    assert r.cause_key == "entry-prefers-another-circuit"
    assert r.culprit == ("circuits", "c1", "local_preference")
    assert "by circuit c2" in r.cause


def test_an_entry_whose_name_holds_a_colon_is_named_whole() -> None:
    """The loader admits ':' in a name; the entry's name is everything after the edge's kind
    (``circuit:c:1``), so the cause still finds c:1's own preference for the sender."""
    data = d.entry_beside_a_preferred_circuit(inbound_snat=True)
    data["circuits"]["c:1"] = data["circuits"].pop("c1")
    data["services"]["app"]["entry"] = ["c:1"]
    r = inbound(results(data), "app")
    assert r.verdict.value == "dropped" and share(r) == 1.0
    assert owners(r) == {"circuit:c:1": 1.0}
    assert r.cause_key == "entry-prefers-another-circuit"
    assert r.culprit == ("circuits", "c:1", "local_preference")
    assert "circuit c:1, which the request enters by" in r.cause


def test_the_fix_named_for_an_entry_beside_a_preferred_circuit_works() -> None:
    """Both halves of the fix: inbound source NAT at c1 and c1's preference raised to c2's.
    c1's edge then prefers its own session's routes (eBGP before iBGP) and every reply leaves
    by the link it may."""
    data = d.entry_beside_a_preferred_circuit(inbound_snat=True)
    data["circuits"]["c1"]["local_preference"] = 200
    r = inbound(results(data), "app")
    assert r.verdict.value in ("ok", "suboptimal") and share(r) == 0.0
    assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}


@pytest.mark.parametrize("firewall", [False, True])
def test_a_pool_advertised_on_one_link(firewall: bool) -> None:
    """Microsoft returns the whole pool by the primary link while the customer edge sends half
    the requests by the secondary: one session table before the split holds them all, but a
    firewall on the secondary link is bypassed by every reply it should have seen."""
    r = flow(results(d.pool_on_one_link(firewall)), "out/hq/1")
    outcome = "dropped" if firewall else "ok"
    assert edges(r) == {
        ("circuit:c1/primary", "circuit:c1/primary", "ok"): 0.5,
        ("circuit:c1/secondary", "circuit:c1/primary", outcome): 0.5,
    }
    assert r.verdict.value == outcome and share(r) == (0.5 if firewall else 0.0)
    if firewall:
        assert _back_causes(r) == {"delivered": 0.5, "bypass": 0.5}
        assert r.cause_key == "bypass" and r.culprit == ("devices", "fw2")
