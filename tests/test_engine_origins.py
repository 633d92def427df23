"""The flows the design implies (docs/flow-semantics.md "Flows"): which endpoint sets each
origin connects to and on which port, the internet hosts that stand for DNS servers, third
parties and internet users, where a proxied flow starts, and each inbound flow with its
initiator's sources."""

from __future__ import annotations

import json
from importlib.resources import files
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from _semantics import (
    CATALOGS,
    ER_SET,
    INET_SET,
    flow,
    load,
    one_site,
    results,
    service,
    share,
    two_sites,
)
from erplan.catalogs import load_catalogs
from erplan.engine import Direction, Engine, Flow
from erplan.load import load_mapping

EXCHANGE_SMTP_SET = 10  # the Exchange set serving TCP 25 only


def _engine(d: dict[str, Any]) -> Engine:
    return Engine(load(d).design, CATALOGS)


def _flows(d: dict[str, Any]) -> dict[str, Flow]:
    return {f.key: f for f in _engine(d).flows()}


def _server(*targets: str) -> dict[str, Any]:
    d = one_site()
    d["servers"] = {"hub": {"site": "us", "address": "10.1.5.5", "connects_to": list(targets)}}
    return d


def _server_sets(*targets: str) -> list[int]:
    return sorted(
        int(k.split("/")[2])
        for k in _flows(_server(*targets))
        if k.startswith("srv/hub/") and not k.endswith("/udp")
    )


def test_a_server_connects_to_each_set_it_names_once() -> None:
    """servers.connects_to lists service areas, set ids and host names: each set is one flow,
    whichever way it was named and however often."""
    exchange = {es.id for es in CATALOGS.sets_for_service_area("Exchange") if es.ips or es.urls}
    assert ER_SET in exchange
    assert _server_sets("1", "Exchange", "1") == sorted(exchange)
    assert _server_sets(str(INET_SET)) == [INET_SET]


def test_a_host_name_is_the_set_that_lists_it_else_the_expressroute_one_else_the_first() -> None:
    """A host name that several sets' patterns match: the set listing it by name wins
    (docs.microsoft.com: set 70, not the *.microsoft.com of 50); else the ExpressRoute-able
    one (*.protection.outlook.com in 8 and 9: 9); else the first (two internet-only sets)."""
    for name in ("docs.microsoft.com", "abc.protection.outlook.com", "abc.sharepointonline.com"):
        assert len(CATALOGS.sets_for_fqdn(name)) > 1, name
    assert _server_sets("docs.microsoft.com") == [70]
    assert _server_sets("abc.protection.outlook.com") == [9]
    assert _server_sets("abc.sharepointonline.com") == [37]


def test_a_flow_uses_its_sets_https_port_else_its_first_port() -> None:
    """flow-semantics "Flows": TCP 443, or the set's first TCP port; a set with UDP ports only
    (Teams media) its first UDP port; a set with both has a UDP flow of its own, beside its TCP
    flow and traced with it."""
    flows = _flows(one_site())
    by_set = {es.id: es for es in CATALOGS.sets_for_service_area("Exchange")}
    assert 443 not in by_set[2].tcp_ports
    assert (flows["out/us/2"].port, flows["out/us/2"].proto) == (by_set[2].tcp_ports[0], "tcp")
    media = CATALOGS.endpoint_set(11)
    assert media is not None and not media.tcp_ports and media.udp_ports
    assert (flows["out/us/11"].port, flows["out/us/11"].proto) == (media.udp_ports[0], "udp")
    one = CATALOGS.endpoint_set(ER_SET)
    assert one is not None and 443 in one.tcp_ports and one.udp_ports
    assert (flows["out/us/1"].port, flows["out/us/1"].proto) == (443, "tcp")
    udp = flows["out/us/1/udp"]
    assert (udp.port, udp.proto, udp.endpoint_set) == (one.udp_ports[0], "udp", ER_SET)
    assert "out/us/8/udp" not in flows  # TCP only
    rs = results(one_site())
    assert flow(rs, "out/us/1") is flow(rs, "out/us/1/udp")


def _dns_destination(d: dict[str, Any]) -> IPv4Address:
    r = flow(results(d), "dns/us")
    assert r.verdict.value == "ok"
    (dst,) = {h.dst for b in r.trace.branches for h in b.forward.hops}
    return IPv4Address(dst)


def test_the_internet_dns_server_stands_outside_every_prefix_of_the_design() -> None:
    """An internet host is at a public address outside everything the design names: a site
    that holds 8.8.8.0/24 has its queries go to the next candidate; a design that holds every
    candidate, to the first x.0.0.1 free."""
    assert _dns_destination(one_site()) == IPv4Address("8.8.8.8")
    d = one_site()
    d["sites"]["us"]["prefixes"].append("8.8.8.0/24")
    assert _dns_destination(d) == IPv4Address("9.9.9.9")
    d["sites"]["us"]["prefixes"] += ["8.0.0.0/7", "1.0.0.0/8", "4.0.0.0/8"]
    assert _dns_destination(d) == IPv4Address("2.0.0.1")


def test_a_third_party_set_is_answered_by_an_internet_host() -> None:
    """flow-semantics "geoDNS": sets served by third parties are an internet host, whatever
    front end answers: the flow names no front end and is delivered to the internet."""
    third = [es for es in _engine(one_site()).origins.endpoint_sets() if es.third_party]
    assert third
    rs = results(one_site())
    for es in third:
        r = flow(rs, f"out/us/{es.id}")
        assert r.verdict.value == "ok"
        assert r.flow.third_party and r.flow.front_end is None
        dst = r.flow.destination
        assert all(IPv4Address(dst) not in IPv4Network(p) for p in es.ips)
        assert dst not in (0, int(IPv4Address("8.8.8.8")))
        for b in r.trace.branches:
            assert b.forward.hops[-1].node == "internet" and b.forward.hops[-1].dst == dst


# -- inbound ---------------------------------------------------------------------------------


def _published(**extra: Any) -> dict[str, Any]:
    d = one_site()
    d["tenant"]["geography"] = "EU"  # its home front end is not the catalog's first
    d["sites"]["us"]["users"] = 0
    d["sites"]["us"]["prefixes"].append("20.2.3.0/24")
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"], **extra)}
    return d


def _inbound(d: dict[str, Any]) -> list[Flow]:
    return [f for f in _engine(d).flows() if f.direction is Direction.INBOUND]


def test_inbound_flows_come_from_every_region_the_tenants_first_each_port() -> None:
    """flow-semantics "Flows": from every geography's home front end, the tenant's first, once
    each; per port; the internet's users too (used_by_internet_users, true by default)."""
    flows = _inbound(_published(ports=[443, 587]))
    homes = list(dict.fromkeys(g.home_front_end for g in CATALOGS.geographies))
    home = CATALOGS.home_front_end("EU")
    assert home is not None and homes[0] != home.name
    regions = [f.front_end for f in flows if f.kind == "microsoft-365" and f.port == 443]
    assert regions == [home.name] + [h for h in homes if h != home.name]
    assert [f.key for f in flows if f.kind == "internet"] == [
        "in/mail/internet/443",
        "in/mail/internet/587",
    ]
    assert not [f for f in flows if f.kind == "microsoft"]
    for f in flows:
        assert f.destination == int(IPv4Address("20.2.3.59")) and f.start == "us"
        assert (f.fqdn, f.proto) == ("mail.contoso.com", "tcp")
        assert f.source == f.shares[0][0] and sum(w for _, w in f.shares) == 1.0


def test_inbound_flows_from_the_regions_named_and_other_microsoft_services() -> None:
    """initiator_regions names the front ends the initiator connects from (in that order);
    used_by_other_microsoft_services adds one flow per port from Microsoft's other address at
    the home front end; without internet users there is no internet flow."""
    d = _published(
        ports=[443],
        initiator_regions=["London", "Amsterdam", "London"],
        used_by_other_microsoft_services=True,
        used_by_internet_users=False,
    )
    flows = _inbound(d)
    assert [(f.kind, f.front_end) for f in flows] == [
        ("microsoft-365", "London"),
        ("microsoft-365", "Amsterdam"),
        ("microsoft", "Amsterdam"),
    ]
    other = flows[-1]
    assert other.key == "in/mail/microsoft/443" and other.shares == ((other.source, 1.0),)
    assert {(f.fqdn, f.port, f.start) for f in flows} == {("mail.contoso.com", 443, "us")}
    for es in CATALOGS.expressroute_sets():
        assert all(IPv4Address(other.source) not in IPv4Network(p) for p in es.ips)
    rs = results(d)
    assert [f.key for r in rs for f in r.flows if f.direction is Direction.INBOUND] == [
        "in/mail/London/443",
        "in/mail/Amsterdam/443",
        "in/mail/microsoft/443",
    ]


def test_half_of_inbound_smtp_comes_from_outside_the_advertised_prefixes() -> None:
    """flow-semantics "Initiator address": SMTP (port 25) from Exchange comes from the set
    serving port 25 and, for half its connections, from Microsoft's other address at that front
    end, which no ExpressRoute session carries: that half cannot come in over ExpressRoute."""
    d = _published(ports=[25, 443], initiator_regions=["Boydton"], used_by_internet_users=False)
    flows = {f.key: f for f in _inbound(d)}
    smtp, https = flows["in/mail/Boydton/25"], flows["in/mail/Boydton/443"]
    smtp_set = CATALOGS.endpoint_set(EXCHANGE_SMTP_SET)
    assert smtp_set is not None and smtp_set.tcp_ports == (25,)
    (main, w_main), (other, w_other) = smtp.shares
    assert (w_main, w_other) == (0.5, 0.5)
    assert any(IPv4Address(main) in IPv4Network(p) for p in smtp_set.ips)
    assert not any(IPv4Address(other) in IPv4Network(p) for p in smtp_set.ips)
    ((only, w),) = https.shares
    assert w == 1.0 and only != main
    rs = results(d)
    r = flow(rs, "in/mail/Boydton/25")
    assert (r.verdict.value, share(r), r.cause_key) == (
        "dropped",
        0.5,
        "sender-outside-expressroute",
    )
    # The cause names the sender outside the advertised prefixes and where its reply goes.
    assert r.culprit == ("services", "mail", "entry")
    assert r.cause.startswith(
        f"the sender {IPv4Address(other)} is not among the prefixes Microsoft advertises over "
        "ExpressRoute: the request enters by circuit:us-er/"
    )
    assert r.cause.endswith(
        "the reply cannot go back that way (breakout us-inet holds no session for this "
        "connection (the request did not cross it))"
    )
    assert flow(rs, "in/mail/Boydton/443").verdict.value == "ok"


# -- proxies ---------------------------------------------------------------------------------


def _chained(mode: str = "all", **px2: Any) -> dict[str, Any]:
    """eu's clients use px1 (at eu, no address of its own), which forwards to px2 at us, which
    names px1 as its upstream in turn (a loop the chain must not follow)."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": mode, "device": "px1"}
    d["devices"] = {
        "px1": {"kind": "proxy", "site": "eu", "upstream": "px2"},
        "px2": {"kind": "proxy", "site": "us", "address": "10.1.9.9", "upstream": "px1", **px2},
    }
    return d


def test_pac_sends_only_what_expressroute_cannot_carry_through_the_proxies() -> None:
    """flow-semantics "Proxy": with pac, ExpressRoute-able sets go direct from the site, the
    rest through px1 then px2, whose flow starts at us (px2's site) and resolves by us's
    breakout; the chain stops where it comes back to px1."""
    flows = _flows(_chained("pac"))
    direct, proxied = flows[f"out/eu/{ER_SET}"], flows[f"out/eu/{INET_SET}"]
    assert (direct.start, direct.proxy, direct.resolver) == ("eu", None, "eu-inet")
    assert (proxied.start, proxied.proxy, proxied.resolver) == ("us", "px1", "us-inet")
    r = flow(results(_chained("pac")), f"out/eu/{INET_SET}")
    assert r.verdict.value == "ok"
    (b,) = [b for b in r.trace.branches if b.weight > 0]
    assert b.forward.edge == "breakout:us-inet"
    nodes = [h.node for h in b.forward.hops]
    assert nodes[0] == "lan:eu" and nodes.index("site:us") < nodes.index("edge:us-inet")
    # px1 stands on eu's first address, px2 on its own
    srcs = [IPv4Address(h.src) for h in b.forward.hops]
    assert IPv4Address("10.2.0.1") in srcs and IPv4Address("10.1.9.9") in srcs
    every = _flows(_chained("all"))
    assert (every[f"out/eu/{ER_SET}"].start, every[f"out/eu/{ER_SET}"].proxy) == ("us", "px1")


def test_a_proxy_down_in_the_chain_fails_every_flow_it_carries() -> None:
    """flow-semantics "Proxies": the leg to each proxy in turn must work first: px2 is down,
    so eu's proxied flows are unreachable, blamed on px2; the direct ones work."""
    rs = results(_chained("pac", up=False))
    r = flow(rs, f"out/eu/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "proxy")
    assert r.culprit == ("devices", "px2")
    assert r.cause == "the connection to the proxy px2 fails: the proxy px2 is down"
    assert flow(rs, f"out/eu/{ER_SET}").verdict.value == "ok"


def test_a_proxy_on_a_site_without_prefixes_has_no_address() -> None:
    """A proxy without an address of its own stands on its site's first address; at a site
    without prefixes it has none, and the flows it carries are unreachable, blamed on that
    site's prefixes. Given prefixes, the same proxy works (and its site resolves)."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "device": "px"}
    d["sites"]["x"] = {"location": "London", "users": 0}
    d["wan"].append({"between": ["x", "eu"], "latency_ms": 5})
    d["devices"] = {"px": {"kind": "proxy", "site": "x"}}
    r = flow(results(d), f"out/eu/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "no-route")
    assert (r.cause, r.culprit) == ("the proxy px has no address", ("sites", "x", "prefixes"))
    d["sites"]["x"]["prefixes"] = ["10.3.0.0/16"]
    rs = results(d)
    ok = flow(rs, f"out/eu/{INET_SET}")
    assert ok.verdict.value == "ok" and ok.flow.start == "x"
    assert flow(rs, "dns/x").verdict.value == "ok"


# -- which sites resolve ---------------------------------------------------------------------


def test_dns_is_traced_for_sites_with_people_their_proxies_sites_and_servers_sites() -> None:
    """flow-semantics "Flows": dns/<site> for each site with users, each site their proxies
    stand at (for either kind of set), each server's site; not for a site with none of these."""
    d = two_sites()
    for name, where in (("px", "London"), ("srv", "Paris"), ("idle", "Dublin")):
        d["sites"][name] = {"location": where, "users": 0, "prefixes": []}
    d["sites"]["px"]["prefixes"] = ["10.3.0.0/16"]
    d["sites"]["srv"]["prefixes"] = ["10.4.0.0/16"]
    d["sites"]["idle"]["prefixes"] = ["10.5.0.0/16"]
    d["wan"] += [{"between": [s, "eu"], "latency_ms": 5} for s in ("px", "srv", "idle")]
    d["sites"]["eu"]["proxy"] = {"mode": "pac", "site": "px"}
    d["servers"] = {"hub": {"site": "srv", "address": "10.4.0.9", "connects_to": ["Exchange"]}}
    keys = [k for k in _flows(d) if k.startswith("dns/")]
    assert keys == ["dns/us", "dns/eu", "dns/px", "dns/srv"]
    d["sites"]["us"]["users"] = 0
    assert [k for k in _flows(d) if k.startswith("dns/")] == ["dns/eu", "dns/px", "dns/srv"]


def test_a_dns_flow_starts_at_its_site_and_asks_the_internet_dns_server() -> None:
    """flow-semantics "Flows": dns/<site> is opened by the site's clients, UDP 53, towards an
    internet DNS server, through the site's resolver egress (`--format json`)."""
    d = two_sites()
    d["sites"]["eu"]["resolver_egress"] = "us-inet"
    got = flow(results(d), "dns/eu").to_dict()
    assert {k: got[k] for k in ("keys", "direction", "origin", "start", "port", "resolver")} == {
        "keys": ["dns/eu"],
        "direction": "dns",
        "origin": "eu",
        "start": "eu",
        "port": 53,
        "resolver": "us-inet",
    }
    assert got["destination"] == "8.8.8.8"
    assert flow(results(d), "dns/eu").flow.proto == "udp"


def test_a_service_named_by_its_name_or_alias_means_its_service_areas_sets() -> None:
    """tenant.services and servers.connects_to name services as the catalog does (Exchange
    Online, EXO) or by service area (Exchange): the same endpoint sets either way."""
    want = _flows(one_site())
    for name in ("Exchange Online", "EXO"):
        d = one_site()
        d["tenant"]["services"] = [name]
        d["servers"] = {"hub": {"site": "us", "address": "10.1.5.5", "connects_to": [name]}}
        got = _flows(d)
        d["tenant"]["services"] = ["Exchange"]
        d["servers"]["hub"]["connects_to"] = ["Exchange"]
        assert sorted(got) == sorted(_flows(d)), name
        assert {k for k in got if k.startswith("out/")} < set(want)
        assert f"srv/hub/{ER_SET}" in got and f"srv/hub/{ER_SET}/udp" in got


def test_the_internet_hosts_take_the_first_address_no_prefix_holds() -> None:
    """The hosts that stand for the internet (DNS servers, third parties, users) take an address
    outside the customer's and Microsoft's space, however much of it the design claims: here
    every x.0.0.1 is held (the first /8 address of each unicast /8), the upper half of
    208-223.x.x.x is not."""
    d = one_site()
    held = ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/4"]
    held += [f"{x}.0.0.0/9" for x in range(208, 224)]
    d["sites"]["us"]["prefixes"] = [*d["sites"]["us"]["prefixes"], *held]
    o = _engine(d).origins
    hosts = {o.dns_host, o.cdn_host}
    assert hosts == {int(IPv4Address("208.128.0.1"))}
    for h in hosts:
        assert not any(IPv4Address(h) in IPv4Network(p) for p in held)


def test_a_set_a_downloaded_catalog_lists_without_ports_is_reached_on_tcp_443(
    tmp_path: Path,
) -> None:
    """A catalog given as a download (``--endpoints``) may list a set without ports (both are
    optional there): its flow is the web's, TCP 443, like any set's main flow."""
    sets = json.loads((files("erplan.catalogs") / "data/endpoints_worldwide.json").read_text())
    for s in sets:
        if s["id"] == ER_SET:
            del s["tcpPorts"], s["udpPorts"]
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(sets))
    catalogs = load_catalogs(path)
    engine = Engine(load_mapping(one_site(), catalogs=catalogs).design, catalogs)
    f = {f.key: f for f in engine.flows()}[f"out/us/{ER_SET}"]
    assert (f.port, f.proto) == (443, "tcp")
    assert f"out/us/{ER_SET}/udp" not in {f.key for f in engine.flows()}
