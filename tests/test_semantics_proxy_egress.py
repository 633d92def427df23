"""A proxy device with an `egress` of its own resolves where it leaves: its DNS query is a flow
from the proxy out of that breakout, and geoDNS answers with the front end nearest to it
(docs/design-format.md devices.egress: "the breakout its connections and DNS queries leave by";
DESIGN.md "Flow semantics", outbound steps 1-2; docs/flow-semantics.md "Resolver").

us (New York) sends its internet-only names to its proxy px, which stands at us and leaves by
eu-inet, eu's breakout in Amsterdam; us's own queries leave by us-inet (its named resolver
egress)."""

from __future__ import annotations

from typing import Any

import pytest

from _semantics import CATALOGS, flow, load, owners, results, share, two_sites
from erplan.analyses.failure_atoms import Atom, atoms
from erplan.analyses.failures import Baseline, evaluate
from erplan.analyses.summary import FlowState

PROXIED = "out/us/8"  # internet only: to the proxy (PAC)
DIRECT = "out/us/1"  # ExpressRoute-able: DIRECT over us-er


def _ny_proxy_leaving_in_amsterdam() -> dict[str, Any]:
    d = two_sites()
    d["sites"]["us"]["resolver_egress"] = "us-inet"
    d["sites"]["us"]["proxy"] = {"mode": "pac", "device": "px"}
    d["devices"] = {
        "px": {"kind": "proxy", "site": "us", "address": "10.1.255.10", "egress": "eu-inet"}
    }
    return d


def test_the_proxy_gets_the_front_end_nearest_to_its_egress() -> None:
    """The answer is Amsterdam's front end, the one eu's own users get, not New York's that
    us's resolver answers; the latency is us's WAN leg to Amsterdam plus eu's own way to that
    front end - no return across the Atlantic."""
    rs = results(_ny_proxy_leaving_in_amsterdam())
    r, eu, direct = flow(rs, PROXIED), flow(rs, "out/eu/8"), flow(rs, DIRECT)
    assert eu.flow.front_end is not None and direct.flow.front_end is not None
    assert r.flow.front_end == eu.flow.front_end != direct.flow.front_end
    assert owners(r) == {"breakout:eu-inet": 1.0}
    assert owners(r, "back") == {"breakout:eu-inet": 1.0}
    assert r.latency is not None and eu.latency is not None
    assert r.latency.ms == pytest.approx(80 + eu.latency.ms)
    # Still slow: us's own breakout reaches the front end us's resolver answers far sooner.
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "proxy-breakout")
    assert r.culprit == ("devices", "px", "egress")
    assert r.best is not None and r.best.ms < r.latency.ms - 25


def test_the_sites_resolver_egress_down_leaves_the_proxied_flows_alone() -> None:
    """us-inet, where us's own queries must leave, is down: us's DNS and its direct flows fail
    by DNS; the proxy never asks us's resolver, so the flows it carries still work, answered
    and carried by eu-inet."""
    d = _ny_proxy_leaving_in_amsterdam()
    d["breakouts"]["us-inet"]["up"] = False
    rs = results(d)
    assert flow(rs, "dns/us").verdict.value == "unreachable"
    r = flow(rs, DIRECT)
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    r = flow(rs, PROXIED)
    assert (r.verdict.value, share(r), r.cause_key) == ("ok", 0.0, "ok")
    assert r.flow.front_end == flow(rs, "out/eu/8").flow.front_end
    assert owners(r) == {"breakout:eu-inet": 1.0}


def test_the_proxys_egress_down_makes_its_flows_unreachable_by_dns() -> None:
    """eu-inet, the proxy's egress, is down: its queries cannot leave (its policy route does
    not fail over), so every flow it carries is unreachable for want of DNS, and the fix points
    at that breakout; us's own DNS and direct flows are untouched."""
    d = _ny_proxy_leaving_in_amsterdam()
    d["breakouts"]["eu-inet"]["up"] = False
    rs = results(d)
    r = flow(rs, PROXIED)
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.culprit == ("breakouts", "eu-inet")
    assert flow(rs, "dns/us").verdict.value == "ok"
    assert flow(rs, DIRECT).verdict.value == "ok"


def test_a_proxy_without_an_address_at_a_site_without_people() -> None:
    """The proxy stands at dc, a New York site with no people, on dc's first host (it has no
    address of its own), and leaves and resolves by its egress all the same. dc's clients'
    DNS is nobody's: no row stands for it (the proxy's own DNS shows in the flows that need
    it)."""
    d = _ny_proxy_leaving_in_amsterdam()
    d["sites"]["dc"] = {"location": "New York", "users": 0, "prefixes": ["10.3.0.0/16"]}
    d["wan"].append({"between": ["us", "dc"], "latency_ms": 2})
    d["devices"]["px"] = {"kind": "proxy", "site": "dc", "egress": "eu-inet"}
    rs = results(d)
    keys = {f.key for r in rs for f in r.flows}
    assert "dns/dc" not in keys and "dns/us" in keys
    r = flow(rs, PROXIED)
    assert owners(r) == {"breakout:eu-inet": 1.0}
    assert r.flow.front_end == flow(rs, "out/eu/8").flow.front_end
    d["breakouts"]["eu-inet"]["up"] = False
    r = flow(results(d), PROXIED)
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")


def _sweep(base: Baseline, failed: tuple[Atom, ...]) -> dict[str, FlowState]:
    """The failed state as the sweep derives it from the baseline's (DNS traces and legs that
    cross nothing that failed), checked against a full re-verify of the failed design."""
    inc, full = evaluate(base, failed).by_key, evaluate(base, failed, full=True).by_key
    assert set(inc) == set(full), failed
    for k, y in full.items():
        x = inc[k]
        got = (x.verdict, round(x.share, 9), x.cause, x.edges, x.latency_ms, x.paths)
        want = (y.verdict, round(y.share, 9), y.cause, y.edges, y.latency_ms, y.paths)
        assert got == want, (failed, k)
    return full


def test_the_failure_sweep_equals_a_full_verify() -> None:
    """Every element of the design down on its own (circuits, links, breakouts, resolvers, the
    WAN link, the proxy), the sweep says what a full re-verify says. The site's resolver egress
    down, or its resolvers failing, leaves the proxied flows alone; the proxy's egress down
    makes them unreachable for want of DNS."""
    base = Baseline.build(load(_ny_proxy_leaving_in_amsterdam()).design, CATALOGS)
    states = {a.key: _sweep(base, (a,))[PROXIED] for a in atoms(base.design)}
    got = {k: (s.verdict, round(s.share, 9), s.cause) for k, s in states.items()}
    assert got["breakout:us-inet"] == ("ok", 0.0, "")
    assert got["breakout:eu-inet"] == ("unreachable", 1.0, "dns")
    assert got["resolver:us-inet"] == ("ok", 0.0, "")


def test_the_sites_resolver_failing_is_verify_with_its_egress_down() -> None:
    """us-inet carries nothing but us's DNS queries here (us's internet-only names go to the
    proxy, the rest over us-er): its resolvers failing is that breakout down. The sweep's rows
    are a full re-verify's with us-inet down, row by row - us's DNS and DIRECT flows unreachable
    by DNS, the proxied flows ok (slow no longer: us's resolver answers no front end to judge
    them against) - but for the path of us's DNS query, which that verify still walks to the
    breakout it would leave by (the resolver that failed sends none)."""
    base = Baseline.build(load(_ny_proxy_leaving_in_amsterdam()).design, CATALOGS)
    swept = _sweep(base, (Atom("resolver", "us-inet"),))
    d = _ny_proxy_leaving_in_amsterdam()
    d["breakouts"]["us-inet"]["up"] = False
    verified = Baseline.build(load(d).design, CATALOGS).by_key
    assert set(swept) == set(verified)
    for k, y in verified.items():
        x = swept[k]
        got = (x.verdict, round(x.share, 9), x.cause, x.edges, x.latency_ms)
        assert got == (y.verdict, round(y.share, 9), y.cause, y.edges, y.latency_ms), k
        assert x.paths == y.paths or k == "dns/us", k
    assert (swept[DIRECT].verdict, swept[DIRECT].cause) == ("unreachable", "dns")
    assert (swept[PROXIED].verdict, swept[PROXIED].cause) == ("ok", "")
    assert base.by_key[PROXIED].verdict == "suboptimal"
