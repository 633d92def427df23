"""ERP93x: choices the routing needs that only the design can state."""

from __future__ import annotations

from collections.abc import Iterator

from erplan.analyses.rules.registry import Context, Hit, rule
from erplan.diagnostics import Severity


@rule(
    code="ERP930",
    name="site-breakout-undesignated",
    severity=Severity.WARNING,
    summary="A site holds two or more internet breakouts and does not say which one it uses.",
    source="Design notes 'Concepts the design file must express' (a site's own internet "
    "breakout, its resolver egress) and 'Flow semantics' (a site router's default route to a "
    "breakout; the answer is the front end nearest to the resolver egress); guide 000 §3 "
    "(Figure 5: DNS and egress)",
    fix="Name the breakout the site's internet traffic leaves by (`breakout` on the site); set "
    "`resolver_egress` too if its DNS queries should leave elsewhere.",
)
def site_breakout_undesignated(ctx: Context) -> Iterator[Hit]:
    """A site router's default route leads to one breakout, and the site's DNS queries leave
    by its resolver egress, which is that breakout unless the design names another: geoDNS
    answers with the front end nearest to it, so it decides which front end every flow of the
    site reaches. A site that holds several breakouts and names none leaves both choices to the
    order the breakouts are listed in, which says nothing about the network: erplan (and its
    emulation) take the first listed, so a verdict may hang on how the file is written. Unlike
    BGP's last tie-breakers (router ID, path age), which a design cannot state and every tied
    path of which is followed, which breakout a site uses is the design's to say (`breakout`).
    """
    d = ctx.design
    at: dict[str, list[str]] = {}
    for name, b in d.breakouts.items():
        at.setdefault(b.site, []).append(name)
    for site, names in at.items():
        s = d.sites.get(site)
        if s is None or s.breakout is not None or len(names) < 2:
            continue
        listed = ", ".join(names)
        dns = "" if s.resolver_egress is not None else " and DNS"
        yield Hit(
            f"site {site} holds breakouts {listed} and does not designate one (`breakout`): "
            f"its internet traffic{dns} leave{'' if dns else 's'} by {names[0]}, the first "
            "listed",
            ("sites", site),
            (("sites", site), *(("breakouts", n) for n in names)),
            key=True,
        )
