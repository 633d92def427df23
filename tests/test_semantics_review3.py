"""A third review of the flow engine against the emulation (`erplan emulate`): small designs in
tests/emulation/designs_review3.py, each judged by `erplan verify --format json` and built for
real, compared by verdict, share, edges each way and cause.

Designs tried, and what each side said:

- filter_at_the_other_circuit (hq prefers c1, whose filter admits SharePoint only; Exchange
  leaves by c2 at dr): both ok, by c2 both ways. Agree.
- prefix_limit_on_one_link (201 prefixes on the primary only): both ok, by the secondary alone
  both ways. Agree.
- prefix_limit_with_a_private_prefix (200 public and 1 private prefix on one session): both
  take the session down (every flow by the breakout). Agree.
- private_pool_advertised (a private pool advertised): both dropped 100 % at Microsoft's source
  filter. Agree.
- proxy_site_all (`proxy.site` at dc, preferred circuit back at hq): both ok, the proxy's
  ExpressRoute names by hq's c1, the rest by dc's breakout. Agree.
- proxies_at_each_others_site: both ok, each proxy's connections direct from its own site.
  Agree.
- proxy_chain_to_a_site_with_a_circuit (px1 at hq forwards to px2 at dc, no egress): the
  emulation could not build chains (every proxied flow "not emulated"). Fixed on the emulation's
  side: chains are built; then both ok, by dc's c2 and dc's breakout. review2's proxy_chain
  (upstream with an egress) agrees too.
- two_firewalls_reply_by_breakout (perimeter and circuit firewalls, the entry circuit's filter
  leaves Exchange out): both dropped 100 %, the reply by the breakout. Agree on the verdict;
  the model's words were wrong: "the initiator's address is not advertised over ExpressRoute"
  and a fix at the service's entry, where Microsoft does advertise it and the route filter
  refuses it. Fixed: cause ``initiator-filtered``, culprit the circuit's route filter.
- entries_from_two_regions (one service, two circuits in two regions, inbound NAT on each,
  initiators in two regions): both work, Microsoft enters by all four links whatever region
  the initiator is in. Agree (the model also calls the far entry slow; latency is not emulated).
- static_nat_on_two_circuits (one stateless static NAT mapping on each of two circuits): both
  asymmetric, nothing dropped, the server's replies and the service's entries over both
  circuits. Agree.
- stateless_firewall_forward_only (`stateful: false` on the forward path only): both
  asymmetric. Agree.
- stateless_flag_on_translating_nats (one pool on two NAT devices declared stateless): both
  dropped about half (a NAT that translates keeps sessions). Agree.
- one_nat_device_on_two_circuits (one NAT device on both circuits, the service filtered at the
  preferred one): both asymmetric, every connection works (the same device holds the session).
  Agree.
- link_pools_advertised_on_both_links (per-link pools behind one covering advertisement):
  both dropped about half, cause link-split. Agree.
- pool_on_internet_more_specific (a breakout announces half a circuit pool more
  specifically): both dropped half, by the breakout. Agree.
- a private peer ASN on c1 with three public prepends (`prepend_asn`) against a public peer
  ASN on c2, one public /24 on both, a firewall on c1 (not kept as a design: the returns
  review's ASN designs cover its parts): both return everything by c2, the half of the
  requests that left by c1 dropped. Agree.
- server_at_a_scoped_site (a server at a site without ExpressRoute routes behind a site with
  them): both ok, hop by hop by hq's circuit. Agree.
- hairpin_to_a_distant_circuit (Amsterdam users on a New York circuit): both work by c1; the
  model says suboptimal, cause propagated (latency is not emulated). Agree.
- igp_hairpin (a WAN cost sends eu past the Amsterdam circuit to New York): both by c1. Agree
  on the path; the model's cause was "propagated" (fix: route scope) because the internet was
  the fastest option. Fixed: the IGP metric, culprit the WAN costs, where the faster circuit
  is also nearer by WAN latency (a 1,000-site design keeps every other cause).
- pool_pulled_back_wan_down (the first round's pulled-back pool, the WAN down): the model said
  blackhole at eu-er's link edges, the emulation dropped at eu-er's customer edge. The
  emulation was right: a router that reaches no holder of an internal prefix has no route for
  it and uses the next longest match (here its default route, inwards). Fixed in the tables;
  the flow's cause still names the WAN link or device, read where the packet lost its way.
- internet_entry_behind_a_dead_firewall (a breakout entry whose firewall is down): after that
  fix the model first called the request unreachable (sent back to the internet, which has no
  route, read as the origin's own); fixed to blackhole, as the emulation says.

And `erplan failures` against `erplan verify` of the design written with the element down
(tests/test_failures_as_designs.py, every example and every small design of the reviews): the
sweep kept a row whose path did not cross the failed circuit although the first router had
chosen that circuit's routes (hop by hop, a scoped transit site sent the packets to its
breakout). With the circuit down the first router takes another circuit: the sweep said the
old breakout. Fixed: a row depends on what each router on its path chose to head for, not only
on what its packets crossed.
"""

from __future__ import annotations

import copy

from _semantics import CATALOGS, flow, load, owners, results, share
from emulation import designs_review2
from emulation import designs_review3 as designs
from erplan.analyses.failure_atoms import Atom
from erplan.analyses.failures import Baseline, evaluate
from erplan.emulate import flows as emulated

ER_KEYS = ("out/hq/1", "out/hq/2", "out/hq/9", "out/hq/10")
ER_KEYS_US = ("out/us/1", "out/us/2", "out/us/9", "out/us/10")


# -- failures: the sweep against the design written with the element down ----------------------


def test_a_failed_circuit_whose_routes_a_router_chose_changes_that_routers_choice() -> None:
    """hq sends West Europe's Dynamics 365 prefixes towards c2 (its region preference), but c2's
    site dc takes no ExpressRoute routes and sends them out of its breakout: no packet crosses
    c2. With c2 down hq chooses c1, which the packets then cross."""
    data = designs_review2.region_preferred_behind_a_scoped_site()
    base = Baseline.build(load(data).design, CATALOGS)
    key = "out/hq/10006"
    assert dict(base.by_key[key].edges) == {"breakout:dc-inet": 1.0}
    swept = evaluate(base, (Atom("circuit", "c2"),)).by_key[key]
    down = copy.deepcopy(data)
    down["circuits"]["c2"]["up"] = False
    fresh = flow(results(down), key)
    assert owners(fresh) == {"circuit:c1": 1.0}
    assert dict(swept.edges) == {"circuit:c1": 1.0}
    assert swept.paths == evaluate(base, (Atom("circuit", "c2"),), full=True).by_key[key].paths


# -- routing: a prefix whose holders are out of reach is not in the table ----------------------


def test_a_reply_pulled_back_behind_a_cut_wan_meets_the_edge_that_never_saw_it() -> None:
    """eu-er's link edges reach no holder of us-er's pool with the WAN down: the pool is not in
    their tables, and their default route (inwards) takes the pulled-back replies to eu-er's
    customer edge, which holds no session for them: dropped there, as the emulation shows, not a
    blackhole at the link edge."""
    rs = results(designs.pool_pulled_back_wan_down())
    for key in ER_KEYS_US:
        r = flow(rs, key)
        assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "return-elsewhere")
        lost = [b for b in r.trace.branches if not b.outcome.works]
        assert lost and all(b.back is not None for b in lost)
        for b in lost:
            assert b.back is not None
            assert (b.outcome.value, b.back.cause, b.back.hops[-1].node) == (
                "dropped",
                "no-session",
                "ce:eu-er",
            )


def test_a_request_sent_back_out_by_the_edge_it_entered_is_a_blackhole_not_unreachable() -> None:
    """The breakout edge reaches no holder of the server's prefix (its firewall is down) and
    forwards by its default route, back to the internet: the request had entered, so the
    internet's lack of a route is a blackhole (the emulation agrees), and the cause is still the
    dead firewall."""
    rs = results(designs.internet_entry_behind_a_dead_firewall())
    r = flow(rs, "in/app/internet/443")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "device-down")
    assert r.culprit == ("devices", "fw", "up")
    assert "fw stands between breakout dc-inet and the site" in r.cause
    nodes = [h.node for h in r.trace.branches[0].forward.hops]
    assert nodes == ["internet", "edge:dc-inet", "internet"], nodes


# -- causes --------------------------------------------------------------------------------------


def test_a_reply_without_a_route_because_the_filter_refuses_the_initiator_names_the_filter() -> (
    None
):
    """Microsoft advertises Exchange's prefixes; c1's route filter leaves them out, so the reply
    to Exchange's connection follows the default route to the breakout, past c1's firewall and
    destination NAT: the fix is c1's route filter, not where the service is received."""
    rs = results(designs.two_firewalls_reply_by_breakout())
    keys = [k for r in rs for k in (f.key for f in r.flows) if k.startswith("in/app/")]
    assert keys
    for key in keys:
        r = flow(rs, key)
        assert (r.verdict.value, share(r)) == ("dropped", 1.0), key
        assert r.cause_key == "initiator-filtered", key
        assert r.culprit == ("circuits", "c1", "route_filter"), key
        assert "no circuit's route filter admits its service" in r.cause
        assert "breakout dc-inet holds no session" in r.cause
        assert "route filter" in r.fix
        assert owners(r) == {"circuit:c1": 1.0}


def test_an_igp_cost_past_a_nearer_circuit_is_the_igp_metric_even_when_the_internet_is_best() -> (
    None
):
    """eu's own breakout is its fastest way to Microsoft, and c2 (beside it, at equal local
    preference) is faster than c1; the WAN costs lead eu to c1 across the Atlantic. Nothing is
    propagated that should not be: the IGP metric is the cause, the WAN costs the fix."""
    rs = results(designs.igp_hairpin())
    for key in ("out/eu/1", "out/eu/2", "out/eu/9", "out/eu/10"):
        r = flow(rs, key)
        assert r.verdict.value == "suboptimal", key
        assert owners(r) == {"circuit:c1": 1.0}, key
        assert r.best is not None and r.latency is not None and r.best.ms < r.latency.ms, key
        assert (r.cause_key, r.culprit) == ("igp-metric", ("wan", 1, "cost")), key
    assert flow(rs, "out/eu/8").verdict.value == "ok"


# -- the emulation's flows of a proxy chain (no namespaces) --------------------------------------


def test_the_emulation_sends_a_chains_clients_to_its_first_proxy_and_out_from_its_last() -> None:
    data = designs.proxy_chain_to_a_site_with_a_circuit()
    design = load(data).design
    spec = emulated.proxy_of(design, "hq")
    assert spec.problem is None
    assert (spec.site, str(spec.address), str(spec.listen)) == (
        "dc",
        "10.230.255.10",
        "10.229.255.10",
    )
    assert [(s, str(a), str(b)) for s, a, b in spec.relays] == [
        ("hq", "10.229.255.10", "10.230.255.10")
    ]
    flows = {f.key: f for f in emulated.all_flows(design, CATALOGS)}
    tcp, udp = flows["out/hq/1"], flows["out/hq/1/udp"]
    assert (str(tcp.proxy_listen), str(tcp.proxy_address), tcp.proxy_site) == (
        "10.229.255.10",
        "10.230.255.10",
        "dc",
    )
    # Datagrams leave from the last proxy, as the model sends them.
    assert [str(s.piece.first) for s in udp.strata] == ["10.230.255.10"]
    # A proxy that is down anywhere in the chain is built, listening nowhere.
    data["devices"]["px2"]["up"] = False
    down = emulated.proxy_of(load(data).design, "hq")
    assert down.problem is None
    assert [str(a) for a in down.down] == ["10.230.255.10"]


# -- designs both sides agree on ----------------------------------------------------------------


def test_a_service_admitted_only_at_the_less_preferred_circuit_leaves_by_it() -> None:
    rs = results(designs.filter_at_the_other_circuit())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c2": 1.0}, key


def test_a_link_over_the_prefix_limit_leaves_the_other_link_both_ways() -> None:
    rs = results(designs.prefix_limit_on_one_link())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        edges = {b.forward.edge for b in r.trace.branches} | {
            b.back.edge for b in r.trace.branches if b.back is not None
        }
        assert edges == {"circuit:c1/secondary"}, key


def test_one_static_nat_mapping_on_two_circuits_is_asymmetric_and_works() -> None:
    rs = results(designs.static_nat_on_two_circuits())
    srv = flow(rs, "srv/mx/1")
    assert (srv.verdict.value, share(srv)) == ("asymmetric", 0.5)
    assert owners(srv) == {"circuit:c1": 1.0}
    assert owners(srv, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    entered = flow(rs, "in/app/Boydton/443")
    assert (entered.verdict.value, share(entered)) == ("asymmetric", 0.5)
    assert owners(entered, "back") == {"circuit:c1": 1.0}


def test_entries_from_two_regions_do_not_depend_on_the_region() -> None:
    rs = results(designs.entries_from_two_regions())
    for key in ("in/app/Boydton/443", "in/app/Amsterdam/443"):
        r = flow(rs, key)
        assert r.verdict.value in ("ok", "suboptimal"), key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}, key
