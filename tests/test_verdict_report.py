"""What the verdict layer reports: the share a verdict applies to, a finding per origin and
cause with its counts, users and text, the JSON row, the summary and the notes about route
choices (analyses/verdicts.py)."""

from __future__ import annotations

import dataclasses
import io
from ipaddress import IPv4Address
from typing import Any

import pytest
from ruamel.yaml import YAML

from _semantics import CATALOGS, load, one_site, report, results, service, two_sites
from erplan.analyses.causes import CAUSES
from erplan.analyses.flow_findings import flow_findings
from erplan.analyses.verdicts import FlowResult, Verdict, rows, verify
from erplan.diagnostics import Finding, Severity
from erplan.engine import Engine
from erplan.load import load_text
from erplan.silencing import apply, owners_of
from test_semantics_routing import _prepended, _tie


def _pulled_back() -> dict[str, Any]:
    """Half of us-er's pool comes back by eu-er, which every site's traffic avoids (eu-er's
    local preference is low): every flow over ExpressRoute loses half its connections."""
    d = two_sites()
    d["circuits"]["eu-er"]["advertises"] = ["20.2.2.8/29", "20.2.2.4/30"]
    d["circuits"]["eu-er"]["local_preference"] = 50
    return d


def _active_passive(**eu_er: Any) -> dict[str, Any]:
    """Both sites prefer eu-er: us's traffic crosses the Atlantic and back."""
    d = two_sites()
    d["circuits"]["us-er"]["local_preference"] = 50
    d["circuits"]["eu-er"].update(eu_er)
    return d


def test_the_share_follows_the_verdict_class() -> None:
    for r in results(_pulled_back()) + results(_active_passive()):
        if r.verdict is Verdict.OK:
            assert r.share == 0.0 and r.users_affected == 0
        elif r.verdict.severity is Severity.ERROR:
            assert r.share == r.share_affected > 0
            assert r.users_affected == round(r.users * r.share_affected)
        else:
            assert r.share == r.share_warned > 0 and r.share_affected == 0.0


def test_verdict_severities() -> None:
    assert Verdict.OK.severity is None
    assert {v for v in Verdict if v.severity is Severity.WARNING} == {
        Verdict.SUBOPTIMAL,
        Verdict.ASYMMETRIC,
    }
    assert {v for v in Verdict if v.severity is Severity.ERROR} == {
        Verdict.DROPPED,
        Verdict.BLACKHOLE,
        Verdict.UNREACHABLE,
    }


def _finding(rep: Any, code: str, origin: str) -> Any:
    found = [f for f in rep.findings if f.code == code and f.data.get("origin") == origin]
    assert len(found) == 1, [(f.code, f.data) for f in rep.findings]
    return found[0]


def test_a_finding_sums_up_the_flows_of_an_origin_and_cause() -> None:
    rep = report(_pulled_back())
    for origin, users in (("us", 500), ("eu", 300)):
        rows = [r for r in rep.results if r.flow.origin == origin and r.verdict is Verdict.DROPPED]
        n = sum(len(r.flows) for r in rows)
        f = _finding(rep, "ERP803", origin)
        assert f.severity is Severity.ERROR
        assert f.subject == "circuits.eu-er.advertises.1"
        assert f.data == {
            "verdict": "dropped",
            "cause_key": "return-elsewhere",
            "flows": n,
            "share": 0.5,
            "users": users,
            "users_affected": users // 2,
            "origin": origin,
        }
        assert f.message.startswith(f"dropped: {n} flows from site {origin} ({users} users; ")
        assert f.message.endswith("; 50% of connections")
        assert rows[0].cause in f.message
        assert (f.fix, f.source) == CAUSES["return-elsewhere"][1:]


def test_the_summary_counts_flows_and_users() -> None:
    rep = report(_pulled_back())
    s = rep.summary
    assert s["flows"] == sum(len(r.flows) for r in rep.results)
    assert sum(s["by_verdict"].values()) == s["flows"]
    for v in Verdict:
        assert s["by_verdict"][v.value] == sum(len(r.flows) for r in rep.results if r.verdict is v)
    assert s["users"] == 800
    assert s["users_by_verdict"]["dropped"] == 800
    assert s["users_affected"] == 400  # half of each site's connections
    assert s["inbound_services"] == 0


def test_a_slow_flow_s_finding_gives_its_latency_against_the_best() -> None:
    rep = report(_active_passive())
    f = _finding(rep, "ERP801", "us")
    assert f.severity is Severity.WARNING
    assert f.subject == "circuits.eu-er.local_preference"
    row = next(
        r for r in rep.results if r.flow.origin == "us" and r.cause_key == "local-preference"
    )
    assert row.latency is not None and row.best is not None
    est = " (estimated)" if row.latency.estimated else ""
    assert f.message.endswith(
        f"[{row.latency.ms:.0f} ms{est} against {row.best.ms:.0f} ms at best]"
    )
    assert "% of connections" not in f.message  # every connection is slow
    assert f.data["share"] == 1.0 and f.data["users_affected"] == 500


def test_the_json_row_carries_verdict_share_cause_and_culprit() -> None:
    rows = results(_pulled_back())
    bad = next(r for r in rows if r.verdict is Verdict.DROPPED and r.flow.origin == "us")
    d = bad.to_dict()
    assert d["verdict"] == "dropped"
    assert (d["share_affected"], d["share_warned"]) == (0.5, 0.0)
    assert (d["cause_key"], d["culprit"]) == ("return-elsewhere", "circuits.eu-er.advertises.1")
    assert d["keys"] == [f.key for f in bad.flows] and d["count"] == len(bad.flows)
    assert (d["users"], d["users_affected"]) == (500, 250)
    assert (d["fix"], d["guide"]) == CAUSES["return-elsewhere"][1:]
    assert d["direction"] == "outbound" and d["endpoint_sets"] == [
        f.endpoint_set for f in bad.flows
    ]
    assert len(d["branches"]) == len(bad.trace.branches)
    good = next(r for r in rows if r.verdict is Verdict.OK).to_dict()
    assert (good["cause_key"], good["cause"], good["culprit"]) == (None, None, None)
    assert (good["share_affected"], good["share_warned"]) == (0.0, 0.0)
    for row in bad.per_flow():
        assert (row["verdict"], row["share_affected"]) == ("dropped", 0.5)


def test_slow_row_in_json_gives_latency_and_best() -> None:
    slow = next(r for r in results(_active_passive()) if r.verdict is Verdict.SUBOPTIMAL)
    d = slow.to_dict()
    assert slow.latency is not None and slow.best is not None
    assert d["latency_ms"] == round(slow.latency.ms, 1) and d["best_ms"] == round(slow.best.ms, 1)
    assert d["estimated"] is slow.latency.estimated is True  # no figure given: all estimated
    assert d["share_warned"] == 1.0 and d["share_affected"] == 0.0


def test_route_notes_region_preference_and_media() -> None:
    rep = report(_active_passive(region_preference={"West Europe": 200}))
    (pref,) = [f for f in rep.findings if f.code == "ERP820"]
    assert pref.subject == "circuits.eu-er.region_preference"
    assert pref.severity is Severity.WARNING
    (media,) = [f for f in rep.findings if f.code == "ERP822"]
    assert media.severity is Severity.INFO
    assert media.message.startswith("real-time media (UDP) of eu, us crosses ExpressRoute")


def test_a_silenced_flow_finding_keeps_its_reason() -> None:
    rep = report(_active_passive(silence={"ERP801": "moving to active/active in June"}))
    f = _finding(rep, "ERP801", "us")
    assert f.silenced == "moving to active/active in June"
    assert all(x.silenced is None for x in rep.findings if x.code != "ERP801")


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_maps_to_a_row_share(verdict: Verdict) -> None:
    """A row with both shares set reports the one its verdict class uses."""
    row = next(iter(results(two_sites())))
    fields = {f: getattr(row, f) for f in FlowResult.__dataclass_fields__}
    fields.update(verdict=verdict, share_affected=0.25, share_warned=0.75)
    r = FlowResult(**fields)
    expected = {None: 0.0, Severity.WARNING: 0.75, Severity.ERROR: 0.25}[verdict.severity]
    assert r.share == expected


def test_the_tenant_relay_is_reported_for_tenant_bound_workloads_only() -> None:
    """DESIGN.md "Latency": the front end -> the tenant's data relay is reported separately for
    tenant-bound workloads (Exchange, SharePoint, Skype), never for the others; from Amsterdam's
    front end to a US tenant's home it crosses the Atlantic, from New York's it is next door."""
    rows = [r for r in results(two_sites()) if r.flow.direction.value == "outbound"]
    areas = {r.flow.key: CATALOGS.endpoint_set(r.flow.endpoint_set).service_area for r in rows}
    home = CATALOGS.home_front_end("US")
    assert home is not None
    seen = set()
    for r in rows:
        area = areas[r.flow.key]
        if area not in ("Exchange", "SharePoint", "Skype") or r.flow.front_end is None:
            assert r.relay is None and r.to_dict()["relay_ms"] is None, r.flow.key
            continue
        assert r.relay is not None
        fe = CATALOGS.front_end(r.flow.front_end)
        assert fe is not None
        assert r.to_dict()["relay_ms"] == round(r.relay.ms, 1)
        seen.add((r.flow.origin, r.flow.front_end, round(r.relay.ms)))
    far = {ms for origin, _, ms in seen if origin == "eu"}
    near = {ms for origin, _, ms in seen if origin == "us"}
    assert far and near and min(far) > max(near) + 50


def test_the_json_row_says_which_flows_and_where_they_go() -> None:
    """`verify --format json`: every row names its flows and what they resolved to."""
    d = _pulled_back()
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["us-er"], inbound_snat={"us-er": "10.9.0.0/28"}
        )
    }
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    rep = report(d)
    row = next(r for r in rep.results if r.flow.key == "out/us/1")
    out = row.to_dict()
    f = row.flow
    assert (out["direction"], out["origin"], out["start"]) == ("outbound", "us", "us")
    assert out["fqdns"] == [x.fqdn for x in row.flows] and out["fqdns"][0]
    assert (out["proxy"], out["express_route"]) == (f.proxy, f.express_route)
    assert out["express_route"] is True
    assert (out["resolver"], out["front_end"]) == (f.resolver, f.front_end)
    assert out["front_end"] is not None
    assert out["destination"] == str(IPv4Address(f.destination))
    assert out["tie"] is False
    assert out["answers"] == [
        {"front_end": name, "destination": str(IPv4Address(a)), "share": round(w, 6)}
        for name, a, w in f.answers
    ] or (out["answers"] is None and not f.answers)
    assert "fqdn" not in out and "port" not in out
    assert out["branches"] == [b.summary() for b in row.trace.branches]
    assert row.to_dict(detail=True)["branches"] == [b.to_dict() for b in row.trace.branches]
    per = list(row.per_flow())
    assert [p["key"] for p in per] == [x.key for x in row.flows]
    assert per[0] == {
        "key": f.key,
        "direction": "outbound",
        "origin": "us",
        "verdict": "dropped",
        "share_affected": 0.5,
        "tie": False,
        "branches": out["branches"],
    }
    inb = next(r for r in rep.results if r.flow.direction.value == "inbound")
    got = inb.to_dict()
    assert (got["fqdn"], got["port"]) == ("mail.contoso.com", 443)
    assert "fqdns" not in got and "express_route" not in got
    whole = rep.to_dict()
    assert whole["summary"] == rep.summary
    assert whole["findings"] == [x.to_dict() for x in rep.findings]
    assert whole["flows"] == [r.to_dict() for r in rep.results]


def test_findings_name_servers_services_and_dns_by_what_they_are() -> None:
    """A server's, an inbound service's and a site's DNS finding say who is affected; only
    a site's users are counted."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["servers"] = {"app": {"site": "eu", "address": "10.2.9.9", "connects_to": ["Exchange"]}}
    rep = report(d)
    f = _finding(rep, "ERP801", "app")
    names = sorted(
        {
            x.fqdn or str(x.endpoint_set)
            for r in rep.results
            if r.flow.origin == "app" and r.verdict is Verdict.SUBOPTIMAL
            for x in r.flows
        }
    )
    assert f.message.startswith(f"suboptimal: server app ({', '.join(names[:3])}): ")
    assert (f.data["users"], f.data["users_affected"]) == (0, 0)

    rep = report(_prepended(65010))
    f = _finding(rep, "ERP811", "mail")
    assert f.message.startswith("suboptimal: inbound service mail (mail.contoso.com): ")
    assert "; 50% of connections [" in f.message  # the share, then the figures
    assert (f.data["users"], f.data["share"]) == (0, 0.5)

    d = one_site()
    d["breakouts"]["us-inet"] = {"site": "us", "advertises": []}
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    f = _finding(report(d), "ERP806", "us")
    assert f.message.startswith("blackhole: DNS of site us: ")
    assert (f.data["users"], f.data["users_affected"]) == (100, 100)


def _loaded_text(d: dict[str, Any]) -> Any:
    """The design through its YAML text, so that findings have positions."""
    buf = io.StringIO()
    YAML().dump(d, buf)
    return load_text(buf.getvalue(), "design.yaml", CATALOGS)


def test_route_notes_say_what_the_design_leaves_open_and_where() -> None:
    d = _tie("c1", "c2")
    d["circuits"]["c1"]["region_preference"] = {"West Europe": 200}
    loaded = _loaded_text(d)
    rep = verify(loaded, CATALOGS)
    notes = {f.code: f for f in rep.findings if f.code in ("ERP820", "ERP821")}
    tie, pref = notes["ERP821"], notes["ERP820"]
    n = sum(len(r.flows) for r in rep.results if r.tie)
    assert n > 1
    assert tie.message == (
        f"site s: circuits c1, c2 tie on local preference and IGP distance: the outcome of {n} "
        "flows depends on BGP's last tie-breakers, which the design does not state (some tied "
        "paths work, others do not)"
    )
    assert (tie.severity, tie.subject) == (Severity.WARNING, "sites.s")
    assert tie.location == loaded.source.where(("sites", "s")) is not None
    assert tie.fix == (
        "set local preference or WAN costs so the choice is explicit, or declare multipath and "
        "make every tied path work"
    )
    assert tie.source == "design notes ('every tied path is a possible path'); guide 000 §7.3.1"
    assert pref.message == (
        "region_preference of circuit c1 has no effect on Microsoft 365 prefixes: they carry "
        "service communities only, no regional ones; the engine treats it as absent for them "
        "(no Dynamics 365 prefixes of the tenant in these regions reach the circuit either)"
    )
    assert pref.location == loaded.source.where(("circuits", "c1", "region_preference"))
    assert pref.location is not None and pref.location != loaded.source.where(("circuits", "c1"))
    assert pref.fix == (
        "steer Microsoft 365 traffic with local preference and IGP metrics ('hot potato'); cold "
        "potato needs regional communities: give the tenant's Dynamics 365 environments and "
        "their prefixes in `tenant.dynamics`"
    )
    assert pref.source == "guide 000 §7.3.1"


def test_the_media_note_lists_five_sites_then_counts_the_rest() -> None:
    d = one_site()
    for i in range(6):
        d["sites"][f"s{i}"] = {
            "location": "New York",
            "users": 1,
            "prefixes": [f"10.{i + 10}.0.0/16"],
        }
        d.setdefault("wan", []).append({"between": ["us", f"s{i}"], "latency_ms": 1})
    (media,) = [f for f in report(d).findings if f.code == "ERP822"]
    assert media.message == (
        "real-time media (UDP) of s0, s1, s2, s3, s4 and 2 more crosses ExpressRoute: plan QoS "
        "marking for it, and configure it once ExpressRoute is proven not to block any other "
        "Microsoft 365 service"
    )
    assert (
        media.fix == "configure QoS for Teams/Skype media after the ExpressRoute rollout is tested"
    )
    assert media.source == "guide 001 'Configure QoS for Skype for Business Online'"
    assert media.location is None and media.subject is None


def test_a_finding_lists_three_names_then_counts_the_rest_and_points_at_its_culprit() -> None:
    loaded = _loaded_text(_pulled_back())
    rep = verify(loaded, CATALOGS)
    f = _finding(rep, "ERP803", "us")
    rows = [r for r in rep.results if r.flow.origin == "us" and r.verdict is Verdict.DROPPED]
    names = sorted({x.fqdn or str(x.endpoint_set) for r in rows for x in r.flows})
    assert len(names) > 3
    shown = ", ".join(names[:3]) + f" and {len(names) - 3} more"
    n = sum(len(r.flows) for r in rows)
    assert f.message.startswith(f"dropped: {n} flows from site us (500 users; {shown}): ")
    assert f.location == loaded.source.where(("circuits", "eu-er", "advertises", 1))
    assert f.location is not None and f.location != loaded.source.where(("sites", "us"))


def _unadvertised_site() -> dict[str, Any]:
    """us's public prefix leaves by a breakout that neither advertises nor translates it: the
    resolver's replies have no way back."""
    d = one_site()
    d["breakouts"]["us-inet"] = {"site": "us", "advertises": []}
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    return d


def _without_culprits(results: list[FlowResult]) -> list[FlowResult]:
    return [dataclasses.replace(r, culprit=()) for r in results]


def test_a_finding_without_a_culprit_points_at_its_site() -> None:
    loaded = _loaded_text(_unadvertised_site())
    engine = Engine(loaded.design, CATALOGS)
    (f,) = [x for x in flow_findings(_without_culprits(rows(engine)), loaded) if x.code == "ERP806"]
    assert f.subject == "sites.us"
    assert f.location == loaded.source.where(("sites", "us")) is not None


def test_a_finding_without_a_culprit_is_silenced_by_its_site() -> None:
    """The one silencing mechanism: a flow finding with no culprit is about its origin, so the
    origin's `silence` map silences it (by code or by name) and nothing else."""
    d = _unadvertised_site()
    d["sites"]["us"]["silence"] = {"ERP806": "the resolver moves to the new breakout in May"}
    loaded = load(d)
    found = flow_findings(_without_culprits(rows(Engine(loaded.design, CATALOGS))), loaded)
    found = apply(found, loaded.design)
    (f,) = [x for x in found if x.code == "ERP806"]
    assert f.silenced == "the resolver moves to the new breakout in May"
    assert all(x.silenced is None for x in found if x is not f)


def test_an_unadvertised_reply_is_about_the_breakout_s_advertisements() -> None:
    """The same design as verified: the finding names the advertisements of the breakout the
    queries left by (what the fix adds to), points there and is silenced there, not by the
    site."""
    d = _unadvertised_site()
    d["sites"]["us"]["silence"] = {"ERP806": "not this one"}
    d["breakouts"]["us-inet"]["silence"] = {"ERP806": "the ISP announces it from May"}
    loaded = _loaded_text(d)
    f = _finding(verify(loaded, CATALOGS), "ERP806", "us")
    assert f.subject == "breakouts.us-inet.advertises"
    assert f.location == loaded.source.where(("breakouts", "us-inet", "advertises"))
    assert f.location is not None and f.location != loaded.source.where(("sites", "us"))
    assert f.silenced == "the ISP announces it from May"


def test_a_server_s_silence_map_is_read_and_checked() -> None:
    """Servers carry `silence` like every object: a finding about a server is silenced by it,
    and an unknown code in it is reported like anywhere else."""
    d = two_sites()
    d["servers"] = {
        "app": {"site": "eu", "address": "10.2.9.9", "connects_to": ["Exchange"]},
    }
    design = load(d).design
    about_app = Finding("ERP801", Severity.WARNING, "slow", subject="servers.app")
    assert owners_of(about_app, design) == [("servers", "app")]
    d["servers"]["app"]["silence"] = {"ERP801": "batch jobs, latency does not matter"}
    design = load(d).design
    assert apply([about_app], design)[0].silenced == "batch jobs, latency does not matter"
    d["servers"]["app"]["silence"] = {"ERP999": "no such code"}
    unknown = [f for f in report(d).findings if f.code == "ERP791"]
    assert [f.subject for f in unknown] == ["servers.app"]


def test_every_row_in_json_is_complete() -> None:
    """Each row of `verify --format json`: a warned or failed row has its cause, fix, guide and
    culprit; an ok row has none of them; the shares and counts are numbers, never null."""
    from test_semantics_state import _public_site

    designs = [_pulled_back(), _active_passive(), _public_site(fw=False), _prepended(65010)]
    seen = set()
    for d in designs:
        for r in results(d):
            out = r.to_dict()
            assert isinstance(out["share_affected"], float)
            assert isinstance(out["share_warned"], float)
            assert isinstance(out["tie"], bool) and isinstance(out["users"], int)
            if r.flow.direction.value == "inbound":
                assert out["users"] == 0
            if r.verdict is Verdict.OK:
                assert [out[k] for k in ("cause_key", "cause", "fix", "guide", "culprit")] == [
                    None
                ] * 5
                continue
            seen.add(r.verdict)
            key = out["cause_key"]
            assert out["cause"] and out["culprit"]
            assert (out["fix"], out["guide"]) == CAUSES[key][1:]
            if r.verdict.severity is Severity.WARNING:
                assert out["latency_ms"] is not None
    assert seen >= {Verdict.DROPPED, Verdict.SUBOPTIMAL, Verdict.ASYMMETRIC}
