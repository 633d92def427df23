"""Lists for the devices on each path, from the same decisions as the PAC file: the bypass list
holds exactly what the PAC sends DIRECT (but a wildcard with an exception under it), and each
path's list holds the endpoint sets whose connections cross that path, with its devices, as the
engine traces them after the PAC's decision (guide 001, SharePoint Online table: "Security/
Perimeter Controls Internet path: DeviceID_002 ExpressRoute path: DeviceID_003")."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from _pac_engines import ENGINES, run
from erplan.catalogs import load_catalogs
from erplan.generators.lists import CSV_COLUMNS, path_files, render_csv, site_lists
from erplan.generators.pac import render_pac
from erplan.generators.plan import plan
from erplan.load import load_design, load_mapping

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CATALOGS = load_catalogs()


def _instance(pattern: str) -> str:
    return ".".join(
        "pac-test" if lab == "*" else lab.replace("*", "x") for lab in pattern.split(".")
    )


def _ips(set_id: int) -> set[str]:
    es = CATALOGS.endpoint_set(set_id)
    assert es is not None
    return {str(p) for p in es.ips}


def test_sharepoint_table_paths_and_devices() -> None:
    p = plan(load_design(EXAMPLES / "g001-sharepoint-outbound.yaml", CATALOGS), CATALOGS)
    lists = {s.site: site_lists(p, s) for s in p.sites}
    chicago, dallas = lists["chicago"], lists["dallas"]
    assert set(chicago.paths) == {"circuit:chicago-er", "breakout:chicago-inet"}
    er = chicago.paths["circuit:chicago-er"]
    assert list(er.devices) == ["DeviceID_003-chicago"]
    assert {str(x) for x in er.ipv4} == _ips(31)
    assert "*.sharepoint.com" in er.fqdns and "contoso.sharepoint.com" in er.fqdns
    inet = chicago.paths["breakout:chicago-inet"]
    assert list(inet.devices) == ["DeviceID_002"]
    assert "*.sharepointonline.com" in inet.fqdns  # the CDN referrals, through the proxy
    assert "*.sharepoint.com" not in inet.fqdns
    # Dallas: its own circuit for SharePoint, the Chicago proxy's breakout for the rest.
    assert set(dallas.paths) == {"circuit:dallas-er", "breakout:chicago-inet"}
    assert list(dallas.paths["circuit:dallas-er"].devices) == ["DeviceID_003-dallas"]
    assert list(dallas.paths["breakout:chicago-inet"].devices) == ["DeviceID_002"]
    tenant = ["contoso.sharepoint.com", "contoso-my.sharepoint.com", "contoso-admin.sharepoint.com"]
    assert chicago.bypass == sorted(["*.sharepoint.com", *tenant])
    files = path_files(chicago)
    assert files["circuit-chicago-er.ipv4.txt"].splitlines() == [str(x) for x in sorted(er.ipv4)]


def test_bypass_list_agrees_with_the_pac_file() -> None:
    p = plan(load_design(EXAMPLES / "g000-proxy-only-pac.yaml", CATALOGS), CATALOGS)
    (site,) = p.sites
    sl = site_lists(p, site)
    # cdn.odc.officeapps.live.com is internet only: a plain list cannot hold the exception.
    assert "*.officeapps.live.com" in sl.pac_only
    assert "*.officeapps.live.com" not in sl.bypass
    assert "*.sharepoint.com" in sl.bypass and "outlook.office365.com" in sl.bypass
    pac = render_pac(p, site, "2026-01-01")
    direct_in_pac = {n.pattern.text for n in site.names if n.direct}
    assert set(sl.bypass) | set(sl.pac_only) == direct_in_pac
    hosts = [_instance(x) for x in sl.bypass]
    proxied = [
        _instance(v)
        for v in sl.paths["breakout:hq-inet"].fqdns
        if not any(v == b for b in direct_in_pac)
    ]
    answers = run(pac, hosts + proxied)
    for engine in ENGINES:
        assert all(answers[engine][h] == "DIRECT" for h in hosts)
        assert all(answers[engine][h].startswith("PROXY ") for h in proxied)
    rows = list(csv.DictReader(io.StringIO(render_csv(sl))))
    assert tuple(rows[0]) == CSV_COLUMNS
    bypass_rows = [r["value"] for r in rows if r["path"] == "clients"]
    assert bypass_rows == sl.bypass
    for path, pl in sl.paths.items():
        listed = {r["value"] for r in rows if r["path"] == path and r["type"] == "ipv4"}
        assert listed == {str(x) for x in pl.ipv4}


def _filtered() -> dict[str, Any]:
    """Figure 3's site with Exchange alone admitted, its proxy in a data centre with its own
    breakout (whose firewall has a hostile name)."""
    d: dict[str, Any] = YAML(typ="safe").load((EXAMPLES / "g000-proxy-only-pac.yaml").read_text())
    d = copy.deepcopy(d)
    d["circuits"]["hq-er"]["route_filter"] = ["Exchange"]
    d["sites"]["dc"] = {"location": "Chicago", "prefixes": ["10.9.0.0/16"]}
    d["wan"] = [{"between": ["hq", "dc"], "latency_ms": 20}]
    d["breakouts"]["dc-inet"] = {
        "site": "dc",
        "nat": ["20.2.6.1/32"],
        "advertises": ["20.2.6.0/24"],
        "devices": ["=HYPERLINK(1)"],
    }
    d["devices"]["=HYPERLINK(1)"] = {"kind": "firewall", "site": "dc"}
    d["devices"]["web-proxy"].update({"site": "dc", "address": "10.9.0.10", "egress": "dc-inet"})
    return d


def test_a_set_without_a_route_is_listed_on_the_proxys_path() -> None:
    """SharePoint is not admitted by the route filter: the PAC sends it to the proxy, so its
    names and prefixes belong to the breakout the proxy leaves by, not to the circuit nor to
    the site's own breakout."""
    p = plan(load_mapping(_filtered(), catalogs=CATALOGS), CATALOGS)
    (site,) = p.sites
    sl = site_lists(p, site)
    assert set(sl.paths) == {"circuit:hq-er", "breakout:dc-inet"}
    er, inet = sl.paths["circuit:hq-er"], sl.paths["breakout:dc-inet"]
    assert "*.sharepoint.com" in inet.fqdns and "*.sharepoint.com" not in er.fqdns
    assert _ips(31) <= {str(x) for x in inet.ipv4}
    assert _ips(1) <= {str(x) for x in er.ipv4}  # Exchange still goes over ExpressRoute
    assert "*.sharepoint.com" not in sl.bypass
    # A device name from the design cannot become a spreadsheet formula.
    rows = list(csv.DictReader(io.StringIO(render_csv(sl))))
    assert {r["devices"] for r in rows if r["path"] == "breakout:dc-inet"} == {"'=HYPERLINK(1)"}
