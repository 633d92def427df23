"""Address ranges, not sample addresses: each prefix and pool is split into the sub-ranges every
table, filter and pool treats alike (docs/flow-semantics.md "Shares")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from _semantics import circuit, edges, flow, one_site, owners, results, share, two_sites


def test_half_a_pool_pulled_back_through_another_circuit_is_half_broken() -> None:
    """DESIGN.md "Address ranges": "Half a pool pulled back through another circuit by a more
    specific prefix is half broken, not 'ok'". eu-er also advertises 20.2.2.4/30, the upper
    half of us-er's pool: replies to it come back by eu-er, whose NAT holds no session."""
    d = two_sites()
    d["circuits"]["eu-er"]["advertises"] = ["20.2.2.8/29", "20.2.2.4/30"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "return-elsewhere"
    assert r.culprit == ("circuits", "eu-er", "advertises", 1)
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 0.5, "circuit:eu-er": 0.5}
    assert {k[2] for k in edges(r) if k[1] and k[1].startswith("circuit:eu-er")} == {"dropped"}


def test_half_a_pool_pulled_back_without_state_is_asymmetric() -> None:
    """flow-semantics "Verdicts": asymmetric = "works, but the reply enters the customer
    network by another circuit ... crossing no state". eu-er has no NAT nor devices; the
    replies cross the site to us-er's NAT, which holds the session."""
    d = two_sites()
    d["circuits"]["eu-er"] = {
        **d["circuits"]["eu-er"],
        "advertises": ["20.2.2.4/30"],
    }
    del d["circuits"]["eu-er"]["snat_pool"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "asymmetric"
    assert r.share_affected == 0.0
    assert round(r.share_warned, 6) == 0.5
    assert owners(r, "back") == {"circuit:us-er": 0.5, "circuit:eu-er": 0.5}


def test_pool_only_partly_advertised_is_dropped_by_microsofts_source_filter() -> None:
    """flow-semantics "Microsoft": "The MSEE drops a packet from the customer whose source is
    outside the circuit's accepted advertised prefixes". Only 20.2.2.0/30 of the /29 pool is
    advertised: half the translated sources are dropped on entry."""
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/30"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "source-filter"
    assert r.culprit == ("circuits", "us-er", "advertises")
    failed = {k for k in edges(r) if k[2] == "dropped"}
    assert failed == {
        ("circuit:us-er/primary", None, "dropped"),
        ("circuit:us-er/secondary", None, "dropped"),
    }


def test_site_with_a_public_and_a_private_prefix() -> None:
    """flow-semantics "Flows": "Sources are every address of the origin's prefixes with equal
    share". Without a pool the public /24 (advertised) works and the private /24 is dropped by
    the source filter: half of the connections."""
    d = two_sites()
    d["sites"]["us"]["prefixes"] = ["10.1.0.0/24", "20.3.0.0/24"]
    d["circuits"]["us-er"] = {
        **d["circuits"]["us-er"],
        "advertises": ["20.3.0.0/24"],
    }
    del d["circuits"]["us-er"]["snat_pool"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "source-filter"


def test_sources_are_weighted_by_addresses_not_by_prefix() -> None:
    """flow-semantics "Flows": every address of the origin's prefixes with equal share: a
    private /24 next to a public /23 is a third of the addresses."""
    d = two_sites()
    d["sites"]["us"]["prefixes"] = ["10.1.0.0/24", "20.3.0.0/23"]
    d["circuits"]["us-er"] = {**d["circuits"]["us-er"], "advertises": ["20.3.0.0/23"]}
    del d["circuits"]["us-er"]["snat_pool"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert round(r.share_affected, 6) == round(1 / 3, 6)


def test_breakout_nat_address_inside_a_circuit_pool_breaks_that_pool_address() -> None:
    """flow-semantics "State": "two devices sharing one pool break each other's replies", and
    "Microsoft": the longest prefix wins (the breakout's /32 over the circuit's /29): replies
    to the shared address come back by the internet to a breakout that holds no session.
    One address of eight."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["breakouts"]["us-inet"]["nat"] = ["20.2.2.1/32"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.125
    assert owners(r, "back") == {"circuit:us-er": 0.875, "breakout:us-inet": 0.125}


def test_breakout_advertising_part_of_a_circuit_pool_pulls_it_to_the_internet() -> None:
    """flow-semantics "Microsoft": at equal length ExpressRoute wins, but a longer internet
    prefix beats a shorter ExpressRoute one: a /30 of the /29 pool announced to the internet
    brings half the replies back by the breakout."""
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"].append("20.2.2.0/30")
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.culprit == ("breakouts", "us-inet", "advertises", 1)
    assert owners(r, "back") == {"circuit:us-er": 0.5, "breakout:us-inet": 0.5}


def test_equal_length_internet_advertisement_loses_to_expressroute() -> None:
    """flow-semantics "Microsoft": "At equal length ExpressRoute before the internet"."""
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"].append("20.2.2.0/29")
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_front_end_address_inside_a_site_prefix_is_not_microsoft() -> None:
    """flow-semantics "State": "A connection works when its forward packets and its reply reach
    their ends" - the end of an outbound flow is the front end. us also lists 52.99.144.0/24
    (Microsoft's, where geoDNS answers outlook for New York) as its own: longest prefix first,
    the request stays inside and never reaches Microsoft."""
    d = two_sites()
    fe = flow(results(d), "out/us/1").flow.destination
    assert IPv4Address(fe) in IPv4Network("52.99.144.0/24")
    d["sites"]["us"]["prefixes"].append("52.99.144.0/24")
    r = flow(results(d), "out/us/1")
    assert r.verdict.severity is not None and r.verdict.severity.value == "error"
    assert share(r) == 1.0


def test_pool_inside_a_site_prefix_takes_those_addresses_from_the_hosts() -> None:
    """flow-semantics "Who translates": "The pools ... are routed inside the customer network
    to that NAT point" (longest prefix first): hosts numbered inside the pool (16 of the
    site's 256 addresses) never get their replies, over ExpressRoute or the internet."""
    d = one_site()
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    d["circuits"]["us-er"] = circuit("us", "New York", "20.3.0.240/28")
    rs = results(d)
    for key in ("out/us/1", "out/us/8"):
        r = flow(rs, key)
        assert r.verdict.value == "dropped", key
        assert share(r) == 0.0625, key
