"""Inbound flows: a Microsoft service to an on-premises service (guide 001 Problems 1 and 2
and their solutions; docs/flow-semantics.md "Flows", DESIGN.md inbound steps 1-4)."""

from __future__ import annotations

from typing import Any

from _semantics import (
    RF,
    breakout,
    circuit,
    design,
    edges,
    hop_nodes,
    inbound,
    owners,
    results,
    service,
    share,
    site,
)


def _guide(entry: str, **svc: Any) -> dict[str, Any]:
    """Guide 001's network: servers in New Jersey (with the internet perimeter and, for
    Problem 2, a circuit of their own), users in New York with the New York circuit."""
    return design(
        sites={
            "nj": site({"lat": 40.55, "lon": -74.46}, "192.168.1.0/24"),
            "ny": site("New York", "10.40.0.0/16", breakout="nj-inet"),
        },
        wan=[{"between": ["nj", "ny"], "latency_ms": 2}],
        breakouts={"nj-inet": breakout("nj", "1.1.1.0/24", "5.5.0.0/16")},
        circuits={
            "ny-er": circuit(
                "ny", "New York", "1.1.2.0/24", advertises=["1.1.2.0/24", "5.5.5.0/24"]
            ),
            "nj-er": circuit("nj", "Washington DC", "1.1.3.0/24"),
        },
        services={"x": service("nj", "5.5.5.5", "192.168.1.101", [entry], **svc)},
    )


def test_problem_1_inbound_by_the_internet_without_source_nat() -> None:
    """Guide 001 Problem 1: "The server on your network routes the return traffic to Microsoft
    365 through any available ExpressRoute network connection ... resulting in a broken
    connection"."""
    d = _guide("nj-inet")
    d["circuits"]["ny-er"]["advertises"] = ["1.1.2.0/24"]  # the service only on the internet
    r = inbound(results(d), "x")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "inbound-return-elsewhere"
    assert r.culprit == ("services", "x", "inbound_snat")
    assert owners(r, "forward") == {"breakout:nj-inet": 1.0}


def test_solution_1a_source_nat_at_the_perimeter() -> None:
    """Guide 001 Solution 1a: "The response from the server routes back toward the IP
    associated with the Source NAT ... returning along the same network path"."""
    d = _guide("nj-inet", inbound_snat={"nj-inet": "10.255.0.0/28"})
    d["circuits"]["ny-er"]["advertises"] = ["1.1.2.0/24"]
    r = inbound(results(d), "x")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:nj-inet", "breakout:nj-inet", "ok"): 1.0}


def test_solution_1b_route_scoping() -> None:
    """Guide 001 Solution 1b: the ExpressRoute prefixes "are not available to the New Jersey
    data center": the reply takes the only route left. (nj's own circuit removed: its
    customer edge would still hold the routes.)"""
    d = _guide("nj-inet")
    d["circuits"]["ny-er"]["advertises"] = ["1.1.2.0/24"]
    del d["circuits"]["nj-er"]
    d["sites"]["nj"]["er_routes"] = False
    r = inbound(results(d), "x")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:nj-inet", "breakout:nj-inet", "ok"): 1.0}


def test_problem_2_inbound_by_expressroute_without_source_nat() -> None:
    """Guide 001 Problem 2: the request enters by the New York circuit; "the computer on your
    network routes the return traffic ... through any available ExpressRoute network
    connection" - New Jersey's own circuit, whose edge never saw the request."""
    r = inbound(results(_guide("ny-er")), "x")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "inbound-return-elsewhere"
    assert owners(r, "forward") == {"circuit:ny-er": 1.0}
    assert "ce:nj-er" in hop_nodes(r, "back")


def test_solution_2_source_nat_at_the_expressroute_entry() -> None:
    """Guide 001 Solution 2: source NAT at the entry brings the reply back the same way."""
    r = inbound(results(_guide("ny-er", inbound_snat={"ny-er": "10.255.1.0/28"})), "x")
    assert r.verdict.value in ("ok", "suboptimal")
    assert r.share_affected == 0.0
    assert owners(r, "back") == {"circuit:ny-er": 1.0}


def _filtered(route_filter: list[str]) -> dict[str, Any]:
    """Exchange enters by us-er, whose route filter may not admit Exchange; inbound source NAT
    at the entry."""
    return design(
        sites={"us": site("New York", "10.1.0.0/16")},
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            "us-er": circuit(
                "us",
                "New York",
                "20.2.2.0/29",
                advertises=["20.2.2.0/29", "20.2.3.0/24"],
                route_filter=route_filter,
            )
        },
        services={
            "mail": service(
                "us", "20.2.3.59", "10.1.5.5", ["us-er"], inbound_snat={"us-er": "10.255.1.0/28"}
            )
        },
    )


def test_inbound_by_a_circuit_that_admits_the_initiators_routes() -> None:
    r = inbound(results(_filtered(RF)), "mail")
    assert r.verdict.value == "ok"
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_inbound_by_a_circuit_whose_route_filter_does_not_admit_the_initiator() -> None:
    """flow-semantics: "ExpressRoute routes exist only for ... sets admitted by the route
    filter"; inbound step 4: "Reply: hop by hop from X's site towards the (translated)
    source". Translated back at the entry, the reply has no ExpressRoute route to Exchange
    and leaves towards the breakout, which holds no session."""
    r = inbound(results(_filtered(["SharePoint"])), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert "edge:us-inet" in hop_nodes(r, "back")


def _mismatch() -> dict[str, Any]:
    """The public DNS record (.60) is not the published address (.59); both are inside the
    /24 the circuit advertises (guide 000's 20.2.2.29/.59/.63 slip)."""
    d = _filtered(RF)
    d["services"]["mail"]["dns_record"] = "20.2.3.60"
    return d


def test_dns_record_that_differs_from_the_published_address_is_broken() -> None:
    """DESIGN.md inbound step 1: "the record must lead to X ... A mismatch is a broken flow"."""
    r = inbound(results(_mismatch()), "mail")
    assert r.verdict.severity is not None and r.verdict.severity.value == "error"
    assert share(r) == 1.0


def test_dns_record_mismatch_is_named_as_such() -> None:
    """DESIGN.md inbound step 1 and CAUSES['wrong-host']: "the public DNS record, the published
    address and the destination-NAT mapping disagree". Microsoft does route 20.2.3.60 (the
    request enters by us-er), so "Microsoft has no route" is not the cause."""
    r = inbound(results(_mismatch()), "mail")
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert r.cause_key == "wrong-host"


def test_service_published_on_the_internet_but_advertised_over_expressroute() -> None:
    """flow-semantics "Microsoft": "At equal length ExpressRoute before the internet"; guide 001
    inbound consideration 5. The destination NAT is held at the breakout only, but Microsoft
    enters by the circuit: nothing there maps the published address."""
    d = _filtered(RF)
    d["breakouts"]["us-inet"]["advertises"].append("20.2.3.0/24")
    d["services"]["mail"]["entry"] = ["internet"]
    d["services"]["mail"]["inbound_snat"] = {"us-inet": "10.255.9.0/28"}
    r = inbound(results(d), "mail")
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert r.verdict.severity is not None and r.verdict.severity.value == "error"
    assert share(r) == 1.0


def test_public_server_address_without_destination_nat() -> None:
    """Guide 000 Figure 11: the server holds the public address itself; the reply leaves by
    the circuit it entered by."""
    d = _filtered(RF)
    d["sites"]["us"]["prefixes"] = ["10.1.0.0/16", "20.2.3.0/24"]
    d["services"]["mail"] = service("us", "20.2.3.59", None, ["us-er"])
    r = inbound(results(d), "mail")
    assert r.verdict.value == "ok"
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_internet_users_of_a_service_published_only_on_expressroute() -> None:
    """DESIGN.md inbound flows: "initiator: a Microsoft 365 service ...; another Microsoft
    service; an internet user - each to an on-premises service X"; guide 001 consideration 8.
    The destination NAT is held at the circuit only: Exchange Online gets in over
    ExpressRoute, but internet users, routed to the breakout that also announces the address,
    find no mapping there - verify must report it."""
    d = _filtered(RF)
    d["breakouts"]["us-inet"]["advertises"].append("20.2.3.0/24")
    d["services"]["mail"]["used_by_internet_users"] = True
    found = [r for r in results(d) if r.flow.direction.value == "inbound"]
    assert any(
        r.verdict.severity is not None and r.verdict.severity.value == "error" for r in found
    )
