"""The verdict layer's own decisions, each on a small design: which cause names a flow, what
its text says, which design object the fix must change, the share it applies to (the points
mutation testing found unasserted; bench/README.md "Mutation testing")."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from _semantics import flow, inbound, results, service, share, two_sites
from erplan.analyses.judge import CAUSES
from test_semantics_routing import _prepended
from test_semantics_state import _public_site


def _in(address: str, prefix: str) -> bool:
    return IPv4Address(address) in IPv4Network(prefix)


# -- a reply that comes back elsewhere ----------------------------------------------------------


def test_return_elsewhere_names_the_advertisement_that_pulls_the_reply() -> None:
    """guide 000 §7.2: the fix is the advertisement, so the culprit is the very prefix that
    covers the reply's address - here the last of four, right after a prefix that ends where
    it starts - and the cause says which address, which circuits, and why it is dropped."""
    d = two_sites()
    d["circuits"]["eu-er"]["advertises"] = [
        "20.2.2.8/29",
        "20.2.2.0/31",
        "20.2.2.2/31",
        "20.2.2.4/30",
    ]
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "return-elsewhere")
    assert r.culprit == ("circuits", "eu-er", "advertises", 3)
    m = re.fullmatch(
        r"replies to (\S+) come back by circuit:eu-er/(primary|secondary) although the request "
        r"left by circuit:us-er/(primary|secondary): circuit eu-er advertises 20\.2\.2\.4/30; "
        r"(.+)",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.2.2.4/30")
    assert "eu-er" in m.group(4) and "session" in m.group(4)


def test_return_elsewhere_by_one_link_names_that_link_s_advertisement() -> None:
    """A prefix advertised on one link only (circuits.*.links.*.advertises) is its own culprit:
    the path the fix must change, field by field."""
    d = two_sites()
    d["circuits"]["eu-er"]["links"] = {"primary": {"advertises": ["20.2.2.4/30"]}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, r.cause_key) == ("dropped", "return-elsewhere")
    assert share(r) == 0.5  # the upper half of the pool, whichever link the request took
    assert r.culprit == ("circuits", "eu-er", "links", "primary", "advertises", 0)
    assert "circuit eu-er advertises 20.2.2.4/30" in r.cause


def test_return_elsewhere_by_a_breakout_names_its_internet_advertisement() -> None:
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"].append("20.2.2.0/30")
    r = flow(results(d), "out/us/1")
    assert r.culprit == ("breakouts", "us-inet", "advertises", 1)
    m = re.fullmatch(
        r"replies to (\S+) come back by breakout:us-inet although the request left by "
        r"circuit:us-er/\w+: breakout us-inet advertises 20\.2\.2\.0/30 to the internet; (.+)",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.2.2.0/30")


def test_an_asymmetric_reply_is_not_given_a_drop_reason() -> None:
    """Asymmetric works: its cause says where the reply comes back and what pulls it there,
    and nothing about a drop."""
    r = flow(results(_public_site(fw=False)), "out/us/1")
    assert r.verdict.value == "asymmetric"
    m = re.fullmatch(
        r"replies to (\S+) come back by circuit:eu-er/\w+ although the request left by "
        r"circuit:us-er/\w+: circuit eu-er advertises 20\.3\.0\.0/25",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.3.0.0/25")


# -- why a working flow is slow -------------------------------------------------------------------


def _rename_circuit(d: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    d["circuits"][new] = d["circuits"].pop(old)
    for svc in d.get("services", {}).values():
        pools = svc.get("inbound_snat", {})
        if old in pools:
            pools[new] = pools.pop(old)
    return d


@pytest.mark.parametrize("name", ["eu-er", "eu:er"])
def test_far_entry_points_at_the_far_circuit_s_prepend(name: str) -> None:
    """guide 000 §7.4.1: the fix for a far entry is a prepend on the far circuit - named
    whole, even when its name holds the separator of the edge names."""
    r = inbound(results(_rename_circuit(_prepended(65010), "eu-er", name)), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 0.5, "far-entry")
    assert r.culprit == ("circuits", name, "prepend")
    assert r.cause == CAUSES["far-entry"][0]


def test_inbound_through_a_distant_breakout_is_a_hairpin_of_the_entry() -> None:
    """A service published only at a distant breakout: Microsoft's connections cross the
    internet to Amsterdam and the WAN back to New York, while the New York circuit is next
    door. Its fix is the service's entry."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["breakouts"]["eu-inet"]["advertises"].append("20.2.3.0/24")
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["internet"], inbound_snat={"eu-inet": "10.255.3.0/28"}
        )
    }
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "hairpin")
    assert r.culprit == ("services", "mail", "entry")
    assert r.latency is not None and r.best is not None
    assert r.latency.ms > r.best.ms + 25 and r.latency.ms > r.best.ms * 1.5


def test_a_server_far_from_the_circuit_is_not_a_proxy_problem() -> None:
    """A server's flows start at its site (their origin is the server): slow because the
    Microsoft routes are propagated to its site, like the site's users - not a distant
    proxy, which only users have."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["servers"] = {"app": {"site": "eu", "address": "10.2.9.9", "connects_to": ["Exchange"]}}
    found = results(d)
    users, server = flow(found, "out/eu/1"), flow(found, "srv/app/1")
    for r in (users, server):
        assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "propagated")
        assert r.culprit == ("sites", "eu", "er_routes")
