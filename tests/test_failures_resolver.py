"""A resolver failure acts row by row: it fails the rows whose names those resolvers resolve
(docs/flow-semantics.md "Resolver"; docs/planning.md, failures "resolver egress"), not every
row of the sites that use them.

us (New York, 500 users) sends its internet-only names to the proxy px (PAC); eu (Amsterdam,
300 users) sends everything to it (mode all). px stands at us. With an egress of its own (us-px,
a second New York breakout) it resolves by itself; without one it resolves through us's
resolver, whose queries leave by us-inet (us's named resolver egress)."""

from __future__ import annotations

from typing import Any

from _semantics import CATALOGS, breakout, load, two_sites
from erplan.analyses.failure_atoms import Atom
from erplan.analyses.failures import Baseline, Outcome, evaluate
from erplan.analyses.impact import Impact, impact

US_RESOLVER = Atom("resolver", "us-inet")
EU_RESOLVER = Atom("resolver", "eu-inet")


def _proxied(*, own_egress: bool) -> Baseline:
    d: dict[str, Any] = two_sites()
    d["breakouts"]["us-px"] = breakout("us", "20.2.6.1/32", "20.2.6.0/24")
    d["sites"]["us"].update(breakout="us-inet", resolver_egress="us-inet")
    d["sites"]["us"]["proxy"] = {"mode": "pac", "device": "px"}
    d["sites"]["eu"]["proxy"] = {"mode": "all", "device": "px"}
    px: dict[str, Any] = {"kind": "proxy", "site": "us", "address": "10.1.255.10"}
    if own_egress:
        px["egress"] = "us-px"
    d["devices"] = {"px": px}
    return Baseline.build(load(d).design, CATALOGS)


def _both(base: Baseline, atom: Atom) -> tuple[Outcome, Impact]:
    """The failed state as the sweep derives it, checked row by row against a full recompute
    (an engine built afresh with those resolvers down); with the impact of each, equal too."""
    inc, full = evaluate(base, (atom,)), evaluate(base, (atom,), full=True)
    assert set(inc.by_key) == set(full.by_key)
    for k, y in full.by_key.items():
        x = inc.by_key[k]
        got = (x.verdict, round(x.share, 9), x.cause, x.edges, x.latency_ms, x.paths)
        assert got == (y.verdict, round(y.share, 9), y.cause, y.edges, y.latency_ms, y.paths), k
    one, other = impact(base, inc), impact(base, full)
    assert one.to_dict() == other.to_dict()
    return full, one


def _keys(base: Baseline, origin: str, *, proxied: bool) -> set[str]:
    """The outbound flows of a site's users that go through a proxy (or not)."""
    return {
        f.key
        for r in base.results
        for f in r.flows
        if f.origin == origin and f.key.startswith("out/") and (f.proxy is not None) is proxied
    }


def _changed(base: Baseline, out: Outcome) -> dict[str, str]:
    """Every flow whose verdict the failure changes, with its verdict after."""
    before = base.by_key
    return {k: s.verdict for k, s in out.by_key.items() if s.verdict != before[k].verdict}


def test_a_proxy_with_its_own_egress_keeps_its_rows_when_the_sites_resolver_fails() -> None:
    """us's resolver fails: us's DNS and its DIRECT flows (ExpressRoute-able names, resolved
    there) are unreachable for want of DNS; the rows px carries, for us and for eu, stay as
    they were - px asks the internet's DNS itself, out of us-px. Only us's people are hurt."""
    base = _proxied(own_egress=True)
    direct, proxied = _keys(base, "us", proxied=False), _keys(base, "us", proxied=True)
    assert direct and proxied and not _keys(base, "eu", proxied=False)
    out, got = _both(base, US_RESOLVER)
    assert _changed(base, out) == dict.fromkeys({"dns/us", *direct}, "unreachable")
    for k in proxied | _keys(base, "eu", proxied=True):
        assert out.by_key[k] == base.by_key[k], k
    assert {base.by_key[k].verdict for k in proxied} == {"ok"}
    assert (got.users_affected, got.users_broken, got.users_lose_er) == (500, 500, 500)
    assert [s.site for s in got.sites] == ["us"]
    assert sum(c.flows for c in got.changes) == 1 + len(direct)
    assert got.spof


def test_the_own_resolver_of_a_site_whose_flows_all_go_to_the_proxy() -> None:
    """eu's resolver fails: eu's clients' own lookups (its DNS row) fail, but every flow of eu
    goes to px, which resolves by itself: eu keeps ExpressRoute and every outbound row works
    over the same paths. Its slow rows were slow only against the front end eu's own resolver
    answers (flow-semantics "Proxies"); it answers nothing now, so px's way is the best eu has
    and they are judged ok - a change, but none of them worse."""
    base = _proxied(own_egress=True)
    eu = _keys(base, "eu", proxied=True)
    slow = {k for k in eu if base.by_key[k].verdict == "suboptimal"}
    assert slow and {base.by_key[k].verdict for k in eu - slow} == {"ok"}
    out, got = _both(base, EU_RESOLVER)
    assert _changed(base, out) == {"dns/eu": "unreachable", **dict.fromkeys(slow, "ok")}
    for k in eu:
        assert (out.by_key[k].paths, out.by_key[k].edges) == (
            base.by_key[k].paths,
            base.by_key[k].edges,
        )
    assert (got.users_affected, got.users_broken, got.users_lose_er) == (300, 300, 0)
    assert [(c.origin, c.after, c.flows) for c in got.changes if c.worse] == [
        ("eu", "unreachable", 1)
    ]


def test_a_proxy_without_an_egress_fails_with_its_sites_resolver() -> None:
    """px has no egress of its own: it resolves through us's resolver, so us's resolver failing
    also fails every row px carries - us's and eu's - and eu's people lose ExpressRoute too."""
    base = _proxied(own_egress=False)
    us = _keys(base, "us", proxied=False) | _keys(base, "us", proxied=True)
    eu = _keys(base, "eu", proxied=True)
    out, got = _both(base, US_RESOLVER)
    assert _changed(base, out) == dict.fromkeys({"dns/us", *us, *eu}, "unreachable")
    assert {k: out.by_key[k].cause for k in eu} == dict.fromkeys(eu, "dns")
    assert (got.users_affected, got.users_lose_er) == (800, 800)
    assert [s.site for s in got.sites] == ["eu", "us"]
    # eu's own resolver serves only its clients' own lookups: its outbound rows stay.
    out, got = _both(base, EU_RESOLVER)
    assert _changed(base, out) == {"dns/eu": "unreachable"}
    assert got.users_lose_er == 0
