"""Security placement: the smallest designs on which reading the topology alone gives the wrong
answer, checked against the engine's traced paths (rules ERP730-ERP735, docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from erplan.analyses.rules import lint
from erplan.analyses.verdicts import Verdict, verify
from erplan.catalogs import Catalogs, load_catalogs
from erplan.diagnostics import Finding
from erplan.load import load_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_catalogs()


def _codes(findings: list[Finding], prefix: str = "ERP73") -> list[Finding]:
    return [f for f in findings if f.code.startswith(prefix)]


def test_replies_that_bypass_a_stateless_ids_are_uninspected(catalogs: Catalogs) -> None:
    """The IDS stands on the circuit the requests leave by, so the topology says "inspected";
    Microsoft returns half the replies over the other circuit (same prefix on both, ECMP). The
    flow still works (asymmetric, no state), but half its connections are not inspected on
    the way back."""
    text = (ROOT / "tests" / "data" / "security-return-bypass.yaml").read_text()
    report = verify(load_text(text, "d.yaml", catalogs), catalogs)
    er = [r for r in report.results if r.flow.express_route and r.flow.direction.value != "dns"]
    assert er and all(r.verdict is Verdict.ASYMMETRIC for r in er)
    assert {r.cause_key for r in er} == {"return-elsewhere"}
    hits = [f for f in report.findings if f.code == "ERP730"]
    assert len(hits) == 1
    data = hits[0].data
    assert data["direction"] == "outbound-microsoft" and data["edge"] == "ny-er"
    assert data["missing_out"] == [] and data["missing_back"] == ["ids"]
    assert data["share"] == pytest.approx(0.5)
    assert "500 of 1000 users" in hits[0].message
    assert hits[0].subject == "circuits.ny-er"


SOLUTION2 = (ROOT / "examples" / "g001-solution2-source-nat.yaml").read_text()


def _with(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_a_firewall_that_inspects_outbound_only_leaves_inbound_uninspected(
    catalogs: Catalogs,
) -> None:
    """Guide 001's Solution 2: the New York perimeter firewall stands on the ExpressRoute
    entry of the hybrid service. Its rules cover outbound connections only, so the inbound
    ones from Exchange Online cross a firewall that does not inspect them."""
    text = _with(
        SOLUTION2,
        "  ny-perimeter:\n    kind: firewall\n    site: new-york\n",
        "  ny-perimeter:\n    kind: firewall\n    site: new-york\n"
        "    inspects: [outbound-microsoft]\n",
    )
    text += "security:\n  internet: {outbound: [], inbound: []}\n"
    report = verify(load_text(text, "d.yaml", catalogs), catalogs)
    inbound = [r for r in report.results if r.flow.direction.value == "inbound"]
    assert inbound and all(r.verdict is Verdict.OK for r in inbound)
    hits = _codes(report.findings)
    assert [f.code for f in hits] == ["ERP730"]
    assert hits[0].data["direction"] == "inbound-microsoft"
    assert hits[0].data["edge"] == "ny-er"
    assert hits[0].data["missing_out"] == hits[0].data["missing_back"] == ["firewall"]
    assert "to service exchange-hybrid" in hits[0].message
    # Inspecting both directions (the default) satisfies the policy.
    plain = SOLUTION2 + "security:\n  internet: {outbound: [], inbound: []}\n"
    assert _codes(lint(load_text(plain, "d.yaml", catalogs), catalogs)) == []


def test_an_ips_the_policy_requires_for_inbound_is_missing(catalogs: Catalogs) -> None:
    text = SOLUTION2 + (
        "security:\n  expressroute: {outbound: [firewall], inbound: [firewall, ips]}\n"
        "  internet: {outbound: [], inbound: []}\n"
    )
    hits = _codes(lint(load_text(text, "d.yaml", catalogs), catalogs))
    assert [(f.code, f.data["direction"], f.data["missing_out"]) for f in hits] == [
        ("ERP730", "inbound-microsoft", ["ips"])
    ]


def test_no_policy_requires_nothing_and_examples_are_unchanged(catalogs: Catalogs) -> None:
    """A design without a `security` section states no policy: no path rule fires (the shipped
    examples, which state none, keep their findings)."""
    for path in EXAMPLES:
        design = load_text(path.read_text(), path.name, catalogs)
        if design.design.security is None:
            assert _codes(lint(design, catalogs), "ERP730") == [], path.name
            assert _codes(lint(design, catalogs), "ERP731") == [], path.name


IPVPN = """\
erplan: 1
tenant: {geography: US}
sites:
  hub: {location: New York, users: 100, prefixes: [10.1.0.0/16]}
  branch: {location: Chicago, users: 400, prefixes: [10.2.0.0/16]}
wan:
  - {between: [hub, branch], latency_ms: 20}
breakouts:
  hub-inet: {site: hub, nat: [20.2.4.1/32], advertises: [20.2.4.0/24], devices: [fw-hub]}
circuits:
  ny-er:
    peering_location: New York
    site: hub
    peer_asn: 65010
    connectivity: ipvpn
    ipvpn_sites: [branch]
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    vlan: 100
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29]
    devices: [fw-hub]
devices:
  fw-hub: {site: hub}
security: {}
"""


def test_ipvpn_branch_egress_and_addressing_duties(catalogs: Catalogs) -> None:
    """On an any-to-any IPVPN the branch hands its traffic to the provider at the branch: the
    hub's firewall is on the traced path (ERP730 is satisfied) but not on the real one, so
    ERP732 flags the branch. The provider meets the addressing duties: no request for a public
    ASN (ERP105) or for the peer subnets (ERP101)."""
    findings = lint(load_text(IPVPN, "d.yaml", catalogs), catalogs)
    codes = {f.code for f in findings}
    assert "ERP730" not in codes
    assert {"ERP105", "ERP101"}.isdisjoint(codes)
    hits = [f for f in findings if f.code == "ERP732"]
    assert len(hits) == 1 and "site branch (400 users)" in hits[0].message
    assert "fw-hub" in hits[0].message
    # The same circuit bought as point-to-point: the customer owns the ASN and the /30s.
    p2p = IPVPN.replace("connectivity: ipvpn", "connectivity: point-to-point").replace(
        "    ipvpn_sites: [branch]\n", ""
    )
    codes = {f.code for f in lint(load_text(p2p, "d.yaml", catalogs), catalogs)}
    assert {"ERP105", "ERP101"} <= codes and "ERP732" not in codes


def test_contoso_uses_its_existing_perimeter_at_no_latency_cost(catalogs: Catalogs) -> None:
    """Guide 001's Contoso example: "Contoso is able to use the infrastructure for their Azure
    ExpressRoute and internet perimeter security". The policy holds on every traced path; the
    point-to-point options cost the same because the circuits already end at the perimeters."""
    from erplan.analyses.placement import Placement
    from erplan.analyses.security import trace_all

    path = ROOT / "examples" / "g001-contoso-securing-expressroute.yaml"
    loaded = load_text(path.read_text(), path.name, catalogs)
    assert _codes(lint(loaded, catalogs)) == []
    engine, results = trace_all(loaded.design, catalogs)
    costs = {c.circuit: c for c in Placement(engine, results).all()}
    assert set(costs) == {"ny-er", "wdc-er", "ldn-er", "ams-er"}
    ny = costs["ny-er"]
    assert ny.locations == ("new-york", "london")
    chicago = next(s for s in ny.sites if s.site == "chicago")
    assert chicago.via == ("new-york", "new-york")
    assert chicago.designed is not None and chicago.options[0] is not None
    # As designed = option 1 (terminate in the existing perimeter), 20 ms of WAN to it.
    assert ny.closest(chicago) == 0
    assert chicago.designed.ms == pytest.approx(chicago.options[0].ms, abs=0.05)
    assert chicago.designed.ms >= 20.0
    assert all(ny.users_affected(i) == 0 for i in range(2))


CHICAGO_P2P = """\
erplan: 1
tenant: {geography: US}
sites:
  new-york: {location: New York, users: 1000, prefixes: [10.10.0.0/16]}
  chicago: {location: Chicago, users: 3000, prefixes: [10.20.0.0/16], breakout: ny-inet}
wan:
  - {between: [new-york, chicago], latency_ms: 20}
breakouts:
  ny-inet: {site: new-york, nat: [1.1.1.1/32], advertises: [1.1.1.0/24], devices: [fw]}
circuits:
  chi-er:
    peering_location: Chicago
    site: new-york
    connectivity: point-to-point
    peer_asn: 394500
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    snat_pool: 1.1.2.0/24
    advertises: [1.1.2.0/24]
    devices: [fw, tls]
devices:
  fw: {site: new-york}
  tls: {site: new-york, kind: proxy, ssl_inspection: true}
"""


def test_terminating_a_far_circuit_in_the_perimeter_costs_its_users(catalogs: Catalogs) -> None:
    """A point-to-point circuit to the Chicago meet-me terminated in the New York perimeter: the
    Chicago users' traffic hairpins through New York and back (about 20 ms of WAN plus the New
    York to Chicago leg); a new perimeter where the link naturally ends (Chicago) spares them
    and costs New York's users instead. TLS inspection on the path is flagged."""
    from erplan.analyses.placement import Placement
    from erplan.analyses.security import trace_all

    loaded = load_text(CHICAGO_P2P, "d.yaml", catalogs)
    engine, results = trace_all(loaded.design, catalogs)
    (cost,) = Placement(engine, results).all()
    sites = {s.site: s for s in cost.sites}
    chi, ny = sites["chicago"], sites["new-york"]
    assert chi.via == ("new-york", "chicago") and chi.users == 3000
    added = chi.added(0)
    assert added is not None and added > 30.0  # the hairpin: 20 ms WAN + the NY-Chicago leg
    assert chi.added(1) == 0.0 and (ny.added(1) or 0.0) > 0.0
    assert cost.users_affected(0) == 3000 and cost.users_affected(1) == 1000
    assert cost.closest(chi) == 0  # the traced paths are option 1
    assert chi.tls == ("tls",)
    tls = [f for f in lint(loaded, catalogs) if f.code == "ERP735"]
    assert len(tls) == 1 and tls[0].data["users"] == 4000


def test_security_command_formats_and_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    from _cli import run

    contoso = str(ROOT / "examples" / "g001-contoso-securing-expressroute.yaml")
    text = run(["security", contoso], capsys, monkeypatch)
    assert text.code == 0 and "terminate in the existing perimeter" in text.out
    assert "circuit ny-er (point-to-point)" in text.out
    doc = json.loads(run(["security", contoso, "-f", "json"], capsys, monkeypatch).out)
    assert [c["circuit"] for c in doc["circuits"]] == ["ny-er", "wdc-er", "ldn-er", "ams-er"]
    assert doc["findings"] == []
    md = run(["security", contoso, "-f", "markdown"], capsys, monkeypatch)
    assert md.out.startswith("# Security placement") and "| site |" in md.out
    # A policy broken on a traced path: exit 1, the finding printed.
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "tests" / "data" / "security-return-bypass.yaml").read_text())
    got = run(["security", str(bad)], capsys, monkeypatch)
    assert got.code == 1 and "ERP730" in got.out
    assert "without a stated connectivity model" in got.out


def test_tables_and_report_show_the_controls_and_the_policy(catalogs: Catalogs) -> None:
    """The connection-property tables list each path's controls there and back with their
    purposes and how the policy fares; the report gets the placement section."""
    from erplan.generators.tables import connection_tables
    from erplan.report import planning_sections, render_report

    text = (ROOT / "tests" / "data" / "security-return-bypass.yaml").read_text()
    loaded = load_text(text, "d.yaml", catalogs)
    report = verify(loaded, catalogs)
    tables = connection_tables(loaded.design, catalogs, report)
    cell = tables[0].value("Security/Perimeter Controls")
    assert "ExpressRoute path: ids-a (ids)" in cell
    assert "Policy, ExpressRoute outbound-microsoft: ids; missing: ids (50% of connections)" in cell

    path = ROOT / "examples" / "g001-contoso-securing-expressroute.yaml"
    loaded = load_text(path.read_text(), path.name, catalogs)
    report = verify(loaded, catalogs)
    sections = [s for s in planning_sections(loaded, catalogs, report) if "Security" in s.title]
    assert [s.title for s in sections][:1] == ["Security placement: circuit ny-er (point-to-point)"]
    assert sections[0].head[:3] == ("site", "users", "as designed (traced)")
    page = render_report(loaded.design, catalogs, report, source=path, sections=sections)
    assert "Security placement: circuit ams-er (point-to-point)" in page


PROVIDER_NAT = """\
erplan: 1
tenant: {geography: US}
sites:
  hq: {location: New York, users: 1000, prefixes: [10.1.0.0/16]}
breakouts:
  hq-inet: {site: hq, nat: [20.2.4.1/32], advertises: [20.2.4.0/24], devices: [fw]}
circuits:
  ny-er:
    peering_location: New York
    site: hq
    connectivity: ipvpn
    peer_asn: 394500
    primary_subnet: 20.2.1.0/30
    secondary_subnet: 20.2.1.4/30
    vlan: 100
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29]
    devices: [fw, pe-nat]
devices:
  fw: {site: hq, inspects: [outbound-microsoft, inbound-microsoft]}
  pe-nat: {site: hq, kind: nat, managed_by: provider}
"""


def test_generated_configurations_leave_the_providers_devices_to_the_provider(
    catalogs: Catalogs,
) -> None:
    """The provider's managed NAT stands on the circuit (it translates, and the flows work),
    but its ruleset is not the customer's to write: nftables gets none for it, and the router
    configuration says whose it is and that the provider peers on the customer's behalf."""
    from erplan.generators.registry import generate

    loaded = load_text(PROVIDER_NAT, "d.yaml", catalogs)
    report = verify(loaded, catalogs)
    assert all(r.verdict is Verdict.OK for r in report.results)
    assert not [f for f in report.findings if f.code in ("ERP733", "ERP734")]
    out = generate(loaded, catalogs, ["frr", "nft"], "d.yaml")
    paths = {a.path: str(a.content) for a in out.artifacts}
    assert not any("pe-nat" in p for p in paths), sorted(paths)
    frr = next(text for p, text in paths.items() if p.startswith("frr/"))
    assert "device pe-nat is the provider's" in frr
    assert "translations performed by device pe-nat" in frr
    assert "peers with Microsoft with its own ASN on your behalf" in frr
    assert "fw (firewall; inspects outbound-microsoft, inbound-microsoft)" in frr


def _placement(name: str, catalogs: Catalogs) -> tuple[list[Finding], dict[str, Any]]:
    from erplan.analyses.placement import Placement
    from erplan.analyses.security import trace_all

    path = ROOT / "examples" / f"{name}.yaml"
    loaded = load_text(path.read_text(), path.name, catalogs)
    engine, results = trace_all(loaded.design, catalogs)
    costs = {c.circuit: c for c in Placement(engine, results).all()}
    return lint(loaded, catalogs), costs


def test_colocation_row_security_at_the_exchange_against_back_haul(catalogs: Catalogs) -> None:
    """Guide 001's co-location row: security in the colocation facility (as designed) costs
    nothing; back-hauling to the Philadelphia perimeter adds Boston's detour (8 + 4 - 6 ms of
    WAN) and nothing for Philadelphia. The co-located customer owns its ASN (asked if private)."""
    findings, costs = _placement("g001-security-colocation", catalogs)
    assert _codes(findings) == []
    cost = costs["ny-er"]
    sites = {s.site: s for s in cost.sites}
    assert sites["boston"].added(1) == pytest.approx(6.0, abs=0.05)
    assert sites["philadelphia"].added(1) == pytest.approx(0.0, abs=0.05)
    assert cost.closest(sites["boston"]) == 0
    assert cost.users_affected(1) == 1500


def test_ipvpn_row_hairpin_against_egress_everywhere(catalogs: Catalogs) -> None:
    """Guide 001's IPVPN row: the branches hairpin to Chicago (as designed); a perimeter at
    every egress would spare Seattle its 60 ms WAN leg less its own (estimated) access. The
    provider's duties: no ERP105/ERP101; no branch egresses itself: no ERP732."""
    findings, costs = _placement("g001-security-ipvpn-hairpin", catalogs)
    assert {f.code for f in findings}.isdisjoint({"ERP105", "ERP101", "ERP730", "ERP732"})
    cost = costs["chi-er"]
    sites = {s.site: s for s in cost.sites}
    seattle = sites["seattle"]
    assert cost.closest(seattle) == 1 and seattle.via == ("seattle", "chicago")
    added = seattle.added(1)
    assert added is not None and 15.0 < added < 25.0
    assert (sites["dallas"].added(1) or 0.0) > 1.0
    assert cost.users_affected(1) == 2500 and cost.users_affected(0) == 0


PAC_PROXY = """\
erplan: 1
tenant: {geography: US}
sites:
  hq:
    location: New York
    users: 1000
    prefixes: [10.1.0.0/16]
    proxy: {mode: pac}
breakouts:
  hq-inet: {site: hq, nat: [20.2.4.1/32], advertises: [20.2.4.0/24], devices: [fw]}
devices:
  fw: {site: hq}
security:
  internet: {outbound: [firewall, proxy], inbound: [firewall]}
"""


def test_the_proxy_a_pac_file_sends_a_flow_to_counts_for_it(catalogs: Catalogs) -> None:
    """No proxy stands on the breakout's path, but the site's PAC file sends every name that
    is not ExpressRoute-able to its proxy: those flows meet the policy. The ExpressRoute-able
    names it sends DIRECT leave by the internet here (the design has no circuit) and miss the
    proxy; a site whose clients all go direct misses it on both."""
    hits = _codes(lint(load_text(PAC_PROXY, "d.yaml", catalogs), catalogs))
    assert {(f.code, f.data["direction"]) for f in hits} == {("ERP731", "outbound-microsoft")}
    direct = PAC_PROXY.replace("    proxy: {mode: pac}\n", "")
    hits = _codes(lint(load_text(direct, "d.yaml", catalogs), catalogs))
    assert {f.code for f in hits} == {"ERP731"}
    assert {tuple(f.data["missing_out"]) for f in hits} == {("proxy",)}
    assert {f.data["direction"] for f in hits} == {"outbound-microsoft", "outbound-internet"}


def test_hostile_names_are_escaped_in_every_format(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    from _cli import run

    text = (ROOT / "tests" / "data" / "hostile-names.yaml").read_text()
    text = text.replace(
        "    peering_location:", "    connectivity: point-to-point\n    peering_location:"
    )
    design = tmp_path / "hostile.yaml"
    design.write_text(text)
    md = run(["security", str(design), "-f", "markdown"], capsys, monkeypatch)
    assert md.code in (0, 1) and "circuit" in md.out
    assert "<script>" not in md.out and "\\<script\\>" in md.out
    doc = json.loads(run(["security", str(design), "-f", "json"], capsys, monkeypatch).out)
    assert any(
        s["site"] == "<script>alert(1)</script>" for c in doc["circuits"] for s in c["sites"]
    )
    plain = run(["security", str(design)], capsys, monkeypatch)
    assert "\x1b" not in plain.out
