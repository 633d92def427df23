"""The causes a verdict names: for each, what happened, the guides' fix and where they say so.
Data only; the judge picks one, the outputs and `erplan explain` print them."""

from __future__ import annotations

# Causes: (what, the guides' fix, where they say so). Keys are stable (JSON, silencing notes).
CAUSES: dict[str, tuple[str, str, str]] = {
    "return-elsewhere": (
        "the reply comes back by another circuit or breakout than the request left by",
        "source-NAT each circuit into its own pool and advertise each pool only on its circuit, "
        "more specifically than any internet advertisement",
        "guide 000 §7.2-§7.3.2 (Figures 16, 17); guide 001 'Ensuring route symmetry'",
    ),
    "internet-nat-overlap": (
        "the reply comes back by a circuit although the request left by a breakout, or the "
        "other way round: the addresses internet traffic is translated to and those of the "
        "Microsoft peering overlap, so a prefix one side advertises covers the other's source",
        "keep the internet NAT addresses apart from the Microsoft peering's: advertise over "
        "ExpressRoute only the circuits' own pools, and to the internet only the breakouts' NAT "
        "addresses",
        "guide 000 §5 ('the NAT IP addresses used for internet traffic must be different from "
        "the NAT IP addresses used in the Microsoft Peering'); guide 001 outbound requirement 4",
    ),
    "inbound-return-elsewhere": (
        "the server's reply leaves by another path than the request entered by",
        "source-NAT inbound connections at their entry (Solution 1a at the internet perimeter, "
        "Solution 2 at a circuit's edge); for requests from the internet answered over "
        "ExpressRoute, keeping ExpressRoute routes away from the server's site also works "
        "(Solution 1b)",
        "guide 001 Problems 1 and 2; guide 000 §7.4.2 (Figure 19)",
    ),
    "entry-prefers-another-circuit": (
        "the circuit the request enters by routes the initiator's address to another circuit "
        "(a higher local preference): the reply leaves there, even when inbound source NAT "
        "brings it back to the entry to be translated",
        "give the entry circuit's Microsoft routes at least the local preference of every other "
        "circuit (its edge then answers by its own links) and source-NAT inbound connections "
        "at the entry; or publish the service on the preferred circuit",
        "guide 001 Problem 2 and Solution 2; guide 000 §7.3.1 (local preference), §7.4.2 "
        "(Figure 19)",
    ),
    "sender-outside-expressroute": (
        "the initiator's address is not advertised over ExpressRoute: the reply cannot go back "
        "the way the request came",
        "receive this service over the internet (with inbound source NAT at the perimeter); "
        "publish over ExpressRoute only what Microsoft 365 alone reaches from advertised prefixes",
        "guide 001 'Plan your routing' (inbound services, such as inbound email, over the "
        "internet) and inbound consideration 5; Microsoft: SMTP uses more of Microsoft's network "
        "than the prefixes advertised over ExpressRoute [M-RT]",
    ),
    "initiator-filtered": (
        "the entry circuit's route filter leaves out the initiator's service: Microsoft "
        "advertises the initiator's address, but no ExpressRoute route to it reaches the server's "
        "network, so the reply cannot go back the way the request came",
        "admit the initiator's service in the route filter of every circuit the service is "
        "published on (its BGP community), or publish the service only where replies can follow "
        "the requests",
        "Microsoft: route filters [R-RF] and BGP communities in ExpressRoute for Office 365 "
        "[M-BGP]; guide 001 Problem 2",
    ),
    "link-split": (
        "state is kept per link: Microsoft returns replies over either link of the circuit",
        "translate and keep state before the split into the two links, or give each link its "
        "own pool advertised only on that link",
        "design notes ('a circuit is two links'); ExpressRoute high-availability design (R-HA)",
    ),
    "source-filter": (
        "Microsoft drops the source: it is not among the public prefixes advertised on the circuit",
        "source-NAT into a public pool that the circuit advertises",
        "guide 000 §5, §6.1 (Figure 10); guide 001 'Design outbound service connectivity'",
    ),
    "no-route-back": (
        "nothing routes the reply back to the translated source",
        "advertise the pool (or the published address) where the replies must come back",
        "guide 000 §6.1, §6.3; guide 001 'Design outbound service connectivity'",
    ),
    "device-down": (
        "the way in crosses a device that is down, while the routes that lead here stay up",
        "bring the device up, or let its failure take down the routes across it: a BGP session "
        "or a tracked route through the device, so that traffic moves to the path that works",
        "guide 001 'High availability and failover with Azure ExpressRoute' ('No single points "
        "of failure')",
    ),
    "breakout-device-down": (
        "no internet breakout is reachable: a device between the breakout and its site router "
        "is down, while the breakout itself is up",
        "bring the device back up, or give the site a second way to the internet (another "
        "breakout, or a device beside this one)",
        "guide 001 'High availability and failover with Azure ExpressRoute' ('No single points "
        "of failure'); guide 000 §2.1 (internet access is still required)",
    ),
    "no-route": (
        "no route to the destination",
        "give the origin a route: an internet breakout, or ExpressRoute routes for the service",
        "guide 000 §2.1 (internet access is still required)",
    ),
    "inbound-no-route": (
        "Microsoft has no route to the service's public DNS record",
        "publish the service's public address in public DNS and advertise a covering prefix",
        "guide 000 §6.2-§6.3 (Figure 13); guide 001 'Design inbound service connectivity'",
    ),
    "wrong-host": (
        "the public DNS record, the published address and the destination-NAT mapping disagree",
        "make the DNS record, the published (destination-NAT) address and the advertised prefix "
        "the same address",
        "guide 000 §6.2-§6.3 (Figure 13)",
    ),
    "translated-address": (
        "the connection ends at a translated address, not at a host",
        "hold the destination-NAT mapping at every entry Microsoft may use",
        "guide 000 §6.2-§6.4 (Figure 13), §7.4.3 (Figure 20)",
    ),
    "delivered-elsewhere": (
        "the packet is delivered to another site's hosts: a prefix there covers the address it "
        "is sent to more specifically than anything at its destination",
        "give every site, server and proxy addresses of its own: take the covering prefix out of "
        "the other site (or move the server's or proxy's address into its own site's prefixes)",
        "design notes 'Flow semantics' (site routers: internal prefixes, longest prefix first); "
        "guide 000 §7.3.2 (different, non-overlapping address pools)",
    ),
    "bypass": (
        "the reply bypasses a stateful device that saw the request",
        "place stateful devices where both directions of a connection cross them",
        "guide 000 §7.2; guide 001 'Ensuring route symmetry'",
    ),
    "shared-inbound-pool": (
        "two entries source-NAT inbound connections into one pool: replies to it are routed to "
        "one of the devices, which drops those of the connections the other translated",
        "give each entry its own inbound source-NAT pool, routed back to the device that "
        "translates into it",
        "guide 000 §7.4.2 (Figure 19); guide 001 Solution 2",
    ),
    "no-session": (
        "a stateful device or NAT drops a packet of a connection it never saw start",
        "keep each connection's request and reply on the same stateful devices",
        "guide 000 §7.2; guide 001 'Ensuring route symmetry'",
    ),
    "down": (
        "something on the path is down",
        "restore it, or provide a redundant path",
        "guide 001 'High availability and failover with Azure ExpressRoute'",
    ),
    "loop": (
        "a routing loop",
        "make the routers' tables agree (route scope, default routes, local preference)",
        "guide 001 'Paper verify that the network design has path symmetry'",
    ),
    "dns": (
        "DNS queries do not get out: no working path to the resolver egress",
        "give the site's resolver egress a working path to the internet",
        "guide 000 §2.1, §3",
    ),
    "dns-device-down": (
        "DNS queries do not get out: a device on the way to the resolver egress is down",
        "bring the device back up, or give the way to the resolver egress a path around it "
        "(a second device, or a resolver egress the queries reach without it)",
        "guide 001 'High availability and failover with Azure ExpressRoute' ('No single points "
        "of failure'); guide 000 §2.1, §3",
    ),
    "resolver": (
        "the clients cannot reach their resolver",
        "give the site a path to the resolver at its resolver egress",
        "guide 000 §3",
    ),
    "proxy": (
        "the clients cannot reach their proxy",
        "give the site a path to its proxy",
        "guide 000 §2.2",
    ),
    "proxy-device-down": (
        "the clients cannot reach their proxy: a device on the way to it is down",
        "bring the device back up, or give the way to the proxy a path around it (a second "
        "device, or a proxy the clients reach without it)",
        "guide 001 'High availability and failover with Azure ExpressRoute' ('No single points "
        "of failure'); guide 000 §2.2",
    ),
    "no-direct-internet": (
        "the site's clients may not reach the internet directly, and this destination has no "
        "ExpressRoute route at the site",
        "send the destination to the site's proxy in its PAC file (a site without a proxy "
        "needs one: proxy.mode: pac and proxy.device), or, where the destination is "
        "ExpressRoute-able, give the site an ExpressRoute route for it",
        "guide 000 §2.2 ('security policies that prohibit direct access to the internet from "
        "client workstations'); guide 001 'Design Client Connectivity Configuration'",
    ),
    "direct-not-propagated": (
        "the site's clients may not reach the internet directly, and a site router on the way "
        "takes no ExpressRoute routes (route scope): the destination, sent DIRECT, falls to the "
        "default route and the perimeter refuses it",
        "propagate the Microsoft routes to that site (er_routes: true), or send the destination "
        "to the proxy in the site's PAC file",
        "design notes 'Flow semantics' (outbound step 1: a DIRECT decision where clients may not "
        "reach the internet directly works only over an ExpressRoute route); guide 000 §2.2; "
        "guide 001 Solution 1b (route scoping)",
    ),
    "direct-circuit-down": (
        "the site's clients may not reach the internet directly, and the circuit that carries "
        "this destination's ExpressRoute routes is down: DIRECT now means the internet, which "
        "the perimeter refuses",
        "bring the circuit up, or give the site a second circuit at another peering location; "
        "meanwhile send the destination to the proxy in the site's PAC file (failing over to "
        "the internet is a manual change)",
        "guide 001 'High availability and failover with Azure ExpressRoute'; guide 000 §2.2",
    ),
    "direct-not-admitted": (
        "the site's clients may not reach the internet directly, and no circuit's route filter "
        "admits this destination's service: it has no ExpressRoute route, and the perimeter "
        "refuses it",
        "admit the service in the circuit's route filter, or send the destination to the proxy "
        "in the site's PAC file",
        "guide 000 §2.2 (ExpressRoute-able connections bypass the proxy); Microsoft: route "
        "filters for Microsoft peering [R-RF]",
    ),
    "initiator": (
        "the initiator receives the reply from an address it did not connect to",
        "translate the reply back where the request was translated (the same entry)",
        "guide 001 Problems 1 and 2",
    ),
    # Latency causes.
    "propagated": (
        "Microsoft routes learned over a distant circuit are propagated to this site: its "
        "traffic goes to the circuit and back over the Microsoft backbone",
        "1. stop propagating the Microsoft routes to this site (route scope, er_routes: false); "
        "2. resolve DNS (or proxy) at the circuit's site; 3. add a circuit near this site",
        "guide 000 §3 (Figure 4), guide 001 'Determine the appropriate meet-me location'",
    ),
    "distant-resolver": (
        "DNS queries leave at a distant resolver egress: geoDNS answers with a front end far "
        "from where the traffic enters Microsoft's network",
        "resolve DNS where the traffic leaves (local DNS with local egress), or send the traffic "
        "out where DNS is resolved",
        "guide 000 §3 (fix 2, Figure 5); guide 001 'Determine the appropriate meet-me location'",
    ),
    "local-preference": (
        "an active/passive local preference sends this site's traffic to a distant circuit "
        "although a nearer one offers the same routes",
        "make the circuits active/active: equal local preference ('hot potato'), with a "
        "separate SNAT pool per circuit",
        "guide 000 §7.1 (Figure 15) and §7.3.1",
    ),
    "igp-metric": (
        "the IGP metric leads this site to a distant circuit although a nearer one offers the "
        "same routes",
        "set WAN costs so that the nearest circuit is the cheapest (or local preference per site)",
        "guide 000 §7.3.1 ('hot potato' by BGP local preference and/or IGP metrics)",
    ),
    "region-preference": (
        "a per-region local preference ('cold potato') sends this site's Dynamics 365 traffic "
        "to the circuit of the environment's region, over a customer network slower than "
        "Microsoft's backbone from a nearer circuit",
        "prefer the region only where the customer network to its circuit is faster than "
        "Microsoft's backbone, else equal preference ('hot potato')",
        "guide 000 §7.3.1 (cold potato is 'the preferred policy if the US-EU latency is higher "
        "in the Microsoft network than in the customer's network')",
    ),
    "breakout": (
        "the site's internet traffic leaves by a distant breakout",
        "use a local internet breakout for this site (selective internet breakout)",
        "guide 001 'Determine the appropriate meet-me location'",
    ),
    "slow-breakout": (
        "the site's own internet breakout is much slower to Microsoft than another breakout "
        "the design offers",
        "send this site's Microsoft 365 traffic to the faster breakout (the site's `breakout`), "
        "or improve the local breakout's internet path to Microsoft",
        "guide 001 'Determine the appropriate meet-me location' (latency to Microsoft decides "
        "the egress)",
    ),
    "proxy-breakout": (
        "the proxy's connections leave by a distant breakout (the proxy device's `egress`)",
        "let the proxy leave by a breakout near it (its `egress`), or send the site's "
        "ExpressRoute-able names DIRECT in its PAC file",
        "guide 000 §2.2, §3 (Figure 5); guide 001 'Determine the appropriate meet-me location'",
    ),
    "slow-circuit": (
        "the circuit the traffic leaves by (the site's own, or one slow from its own site too) "
        "is, by its given latency, much slower to Microsoft than another way the design offers",
        "find another meet-me location nearer the circuit's site and its users, or use a "
        "selective internet breakout for this site's Microsoft 365 traffic",
        "guide 001 'Determine the appropriate meet-me location' (expected latency over the "
        "internet vs over ExpressRoute)",
    ),
    "distant-peering-location": (
        "the circuit the traffic leaves by (the site's own, or one slow from its own site too) "
        "peers at a peering location far from its site: by estimate (no measured latency "
        "given), its way to Microsoft is much slower than another way the design offers",
        "peer at a location nearer the circuit's site and its users (another meet-me location), "
        "or give the "
        "circuit's measured latency to Microsoft (`access_latency_ms`) if the estimate is wrong; "
        "else use a selective internet breakout for this site's Microsoft 365 traffic",
        "guide 001 'Determine the appropriate meet-me location'; design notes 'Latency' "
        "(estimates follow the distance, given figures win)",
    ),
    "not-propagated": (
        "the site reaches Microsoft over the internet although ExpressRoute is much nearer",
        "propagate the Microsoft routes to this site (and admit the service in the route filter)",
        "guide 001 'Determine the appropriate meet-me location'",
    ),
    "far-entry": (
        "Microsoft enters by a circuit in another region than the server while a nearer entry "
        "exists",
        "prepend the AS path (with a public ASN) on the far circuit's advertisement of this "
        "address",
        "guide 000 §7.4.1 (Figure 18)",
    ),
    "distant-proxy": (
        "the users' connections cross the network to a distant proxy first",
        "give the site a proxy near its own egress, or send its ExpressRoute-able names DIRECT in "
        "its PAC file",
        "guide 000 §2.2, §3 (Figure 5)",
    ),
    "hairpin": (
        "the path is much slower than the best this origin has",
        "route this origin's traffic to the nearest circuit or its local breakout",
        "guide 001 'Determine the appropriate meet-me location'",
    ),
}

# The fix and its source by the way the request entered and the reply heads (``entry-reply``:
# breakout or circuit each), where a cause's general fix offers what does not apply there:
# route scoping (guide 001 Solution 1b) takes ExpressRoute routes away so that the reply falls
# to the default route, which helps only a request that came from the internet.
_SOLUTION_2 = (
    "source-NAT inbound connections at the edge of the circuit they enter by, into a pool that "
    "circuit advertises (Solution 2)",
    "guide 001 Problem 2 and Solution 2, inbound consideration 7; guide 000 §7.4.2 (Figure 19)",
)
ENTRY_FIXES: dict[tuple[str, str], tuple[str, str]] = {
    ("inbound-return-elsewhere", "breakout-circuit"): (
        "source-NAT inbound connections at the perimeter they enter by (Solution 1a), or keep "
        "ExpressRoute routes away from the server's site (er_routes: false, Solution 1b): the "
        "reply then takes the default route back to the perimeter",
        "guide 001 Problem 1, Solutions 1a and 1b; guide 000 §7.4.2 (Figure 19)",
    ),
    ("inbound-return-elsewhere", "breakout-breakout"): (
        "source-NAT inbound connections at the perimeter they enter by (Solution 1a), into "
        "addresses the server's network routes back to that breakout",
        "guide 001 Problem 1 and Solution 1a; guide 000 §7.4.2 (Figure 19)",
    ),
    ("inbound-return-elsewhere", "circuit-circuit"): _SOLUTION_2,
    ("inbound-return-elsewhere", "circuit-breakout"): _SOLUTION_2,
}

Culprit = tuple[str | int, ...]  # a path in the design, as the source map takes it
