"""What the flow verdict codes (``ERP8xx``) mean, in words: each verdict's meaning for a flow,
the causes each can name, and the route-choice notes. The verdict module holds the codes and
the causes as data; these are the texts ``codes`` builds their catalog entries from (and the
notes' severity, fix and source, which ``flow_findings`` reads)."""

from __future__ import annotations

from erplan.diagnostics import Severity

# What each verdict means for a flow (docs/flow-semantics.md): the one text about verdicts that
# the verdict module does not hold as data.
VERDICT_MEANING = {
    "suboptimal": (
        "works but is slower than the best the design offers its origin, by more than "
        "`analysis.suboptimal_ms` and `analysis.suboptimal_ratio` times",
        "is slower than the best path the design offers",
    ),
    "asymmetric": (
        "works, but its replies come back by a different path that crosses no state",
        "returns by a different path",
    ),
    "dropped": (
        "fails: a stateful device or a filter drops it (a reply reaching a device that holds "
        "no session, or bypassing the one that does; a source outside a circuit's advertisements)",
        "is dropped by a stateful device or a filter",
    ),
    "blackhole": (
        "fails: it is forwarded to where nothing delivers it (a translated source that is not "
        "advertised where the reply comes from, a NAT that holds no mapping)",
        "is blackholed",
    ),
    "unreachable": (
        "fails: there is no route for it (no breakout, no ExpressRoute route, no DNS record "
        "leading to the service)",
        "has no route",
    ),
}
DNS_MEANING = (
    "fails: the site's DNS queries do not get an answer, so every flow of the site fails for "
    "that share of its queries",
    "fails to resolve",
    "dns-fails",
)
LATENCY_CAUSES = (
    "propagated",
    "distant-resolver",
    "distant-proxy",
    "local-preference",
    "igp-metric",
    "region-preference",
    "breakout",
    "slow-breakout",
    "proxy-breakout",
    "slow-circuit",
    "distant-peering-location",
    "not-propagated",
    "far-entry",
    "hairpin",
)
CAUSES_BY_VERDICT = {
    "suboptimal": LATENCY_CAUSES,
    "asymmetric": ("return-elsewhere", "internet-nat-overlap", "inbound-return-elsewhere"),
}
FAILURE_CAUSES = (
    "return-elsewhere",
    "internet-nat-overlap",
    "inbound-return-elsewhere",
    "entry-prefers-another-circuit",
    "sender-outside-expressroute",
    "initiator-filtered",
    "link-split",
    "source-filter",
    "no-route-back",
    "device-down",
    "breakout-device-down",
    "no-route",
    "inbound-no-route",
    "wrong-host",
    "delivered-elsewhere",
    "translated-address",
    "bypass",
    "no-session",
    "down",
    "loop",
    "dns",
    "dns-device-down",
    "proxy",
    "proxy-device-down",
    "no-direct-internet",
    "direct-not-propagated",
    "direct-circuit-down",
    "direct-not-admitted",
    "initiator",
)
FLOW_TAIL = (
    "erplan verify reports one finding per origin, cause and responsible design object; it "
    "points at that object, and `erplan trace` shows every hop of a flow, forward and back."
)
# Route-choice notes of the verdict module (``CODE_REGION_PREFERENCE``, ``CODE_TIE``, ``CODE_QOS``,
# ``CODE_ROUTE_LEFT``):
# name, severity, summary, explanation, fix, source, by the name of the code's constant. The
# verdict module takes each note's severity, fix and source from here.
ROUTE_NOTES: dict[str, tuple[str, Severity, str, str, str, str]] = {
    "CODE_REGION_PREFERENCE": (
        "region-preference-without-effect",
        Severity.WARNING,
        "A circuit's region_preference acts on no route: it cannot steer Microsoft 365 traffic.",
        "Microsoft 365 prefixes carry service communities only, no regional ones, so a "
        "per-region local preference ('cold potato') never matches them; the engine treats it "
        "as absent for them. Only the tenant's Dynamics 365 prefixes (`tenant.dynamics`, "
        "admitted by a route filter) carry a regional community; the note is made when none of "
        "them is in the circuit's preferred regions.",
        "steer Microsoft 365 traffic with local preference and IGP metrics ('hot potato'); "
        "cold potato needs regional communities: give the tenant's Dynamics 365 environments "
        "and their prefixes in `tenant.dynamics`",
        "guide 000 §7.3.1",
    ),
    "CODE_TIE": (
        "outcome-depends-on-a-tie",
        Severity.WARNING,
        "Flows whose outcome depends on a tie the design does not decide.",
        "When routes still tie after local preference, AS path and IGP distance, BGP's last "
        "tie-breakers (router ids, session age) decide, and a design does not state them: erplan "
        "follows every tied branch, and some work while others fail.",
        "set local preference or WAN costs so the choice is explicit, or declare multipath and "
        "make every tied path work",
        "design notes ('every tied path is a possible path'); guide 000 §7.3.1",
    ),
    "CODE_ROUTE_LEFT": (
        "expressroute-route-left-for-the-internet",
        Severity.WARNING,
        "A site sends flows towards a circuit, but a site on the way takes no ExpressRoute "
        "routes: they leave by the internet.",
        "Every router decides for itself (hop by hop). The origin's table sends these flows "
        "towards the circuit its ExpressRoute routes prefer (a per-region preference, 'cold "
        "potato', or local preference and IGP distance), but a site router between it and the "
        "circuit does not install ExpressRoute routes (er_routes: false) and forwards them by "
        "its default route to a breakout. They work, but not the way the design's routing "
        "policy intends, and nothing else says so.",
        "propagate the Microsoft routes to the site on the way (er_routes: true), attach the "
        "preferred circuit where its users' path does not cross a scoped site, or drop the "
        "preference if the internet path is what is meant",
        "guide 000 §7.3.1 ('outbound connections to EU endpoints always go through the EU "
        "circuit'); guide 001 Solution 1b (route scoping removes the ExpressRoute path for the "
        "computers behind a scoped segment); design notes 'Flow semantics' (hop by hop)",
    ),
    "CODE_QOS": (
        "media-over-expressroute-needs-qos",
        Severity.INFO,
        "Real-time media crosses ExpressRoute: plan QoS.",
        "Teams and Skype media (UDP) over ExpressRoute needs QoS marking end to end; guide 001 "
        "puts QoS after ExpressRoute is proven to work.",
        "configure QoS for Teams/Skype media after the ExpressRoute rollout is tested",
        "guide 001 'Configure QoS for Skype for Business Online'",
    ),
}
