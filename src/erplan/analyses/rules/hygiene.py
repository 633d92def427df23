"""ERP71x and ERP79x: design hygiene, and the silencing mechanism's own findings."""

from __future__ import annotations

from collections.abc import Iterator

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.analyses.rules.wan import wan_adjacency
from erplan.diagnostics import Severity
from erplan.model import ProxyMode


@rule(
    code="ERP711",
    name="site-without-internet",
    severity=Severity.ERROR,
    summary="A site with users has no path to the internet.",
    source="Guide 000 §2.1 (internet connectivity is a mandatory prerequisite: DNS and CDNs "
    "need it, Figure 2); guide 001 'High availability' (many services are only available over "
    "the internet)",
    fix="Give the site a breakout (`breakout`) or a WAN link to a site with one, or a proxy at "
    "a site that has one.",
)
def site_without_internet(ctx: Context) -> Iterator[Hit]:
    """Not every Microsoft 365 endpoint is reachable over ExpressRoute: DNS resolution and the
    content served by CDNs always need the internet. A site with users that reaches no
    breakout - none of its own, none named, none over the WAN links that are up (a site
    without one takes the nearest), and no proxy at a site that reaches one - cannot use
    Microsoft 365 at all.
    """
    d = ctx.design
    online = _reaching_a_breakout(ctx)
    for name, s in d.sites.items():
        if s.users == 0 or name in online:
            continue
        proxy_site = s.proxy.site
        if proxy_site is None and s.proxy.device in d.devices:
            proxy_site = d.devices[s.proxy.device].site
        if s.proxy.mode != ProxyMode.DIRECT and proxy_site in online:
            continue
        yield Hit(
            f"site {name} has {s.users} users but no path to the internet (no breakout it "
            "reaches over the WAN, no proxy at a site that reaches one): DNS and CDN content "
            "are unreachable",
            ("sites", name),
            (("sites", name),),
            key=True,
        )


def _reaching_a_breakout(ctx: Context) -> set[str]:
    """The sites that name a breakout, or reach a site holding one over WAN links that are up."""
    d = ctx.design
    links = wan_adjacency(d)
    holding = {b.site for b in d.breakouts.values() if b.site in links}
    online = holding | {name for name in d.sites if d.site_breakout(name) is not None}
    # Every site joined to one that holds a breakout reaches it.
    stack = list(holding)
    while stack:
        for nxt, _ in links[stack.pop()]:
            if nxt not in online:
                online.add(nxt)
                stack.append(nxt)
    return online


@rule(
    code="ERP790",
    name="silence-without-reason",
    severity=Severity.ERROR,
    summary="A rule is silenced without a reason.",
    source="erplan silencing (docs/rules.md, 'Silencing a rule')",
    fix='Write why the rule does not apply: `silence: {ERP305: "prepending done by the '
    'provider"}`.',
)
def silence_without_reason(ctx: Context) -> Iterator[Hit]:
    """A `silence` entry must say why the rule does not apply, so that a reviewer can judge
    it. An entry with an empty reason silences nothing and is reported itself. (Raised by the
    runner, which reads every `silence` map.)
    """
    return iter(())


@rule(
    code="ERP791",
    name="silence-unknown-rule",
    severity=Severity.WARNING,
    summary="A silence entry names a code that erplan never reports.",
    source="erplan silencing (docs/rules.md, 'Silencing a rule')",
    fix="Use a code listed by `erplan rules` (or its name).",
)
def silence_unknown_rule(ctx: Context) -> Iterator[Hit]:
    """A misspelt code silences nothing, and the finding it was meant for stays. Every code
    erplan reports can be silenced, rules and flow verdicts alike. (Raised by the runner, which
    reads every `silence` map.)
    """
    return iter(())
