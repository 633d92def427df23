"""Every generated PAC file, run in two independent JavaScript engines (pypac on Duktape and
pacparser on SpiderMonkey), decides every catalog name and a set of other names exactly as the
flow engine routes the site: DIRECT if and only if the site's own connections to the name's
endpoint set leave by ExpressRoute and work (guide 000 §2.2, Figure 3); otherwise the site's
proxy, by its address and port.

The expected decision is computed here from ``verdicts.rows`` (the engine's per-flow rows) and
the catalog, with the tests' own name matching (``_pac_engines.covers``): nothing of the
generator is reused.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from _designs import CATALOGS, load
from _pac_engines import ENGINES, covers, run, specificity
from erplan.analyses.verdicts import FlowResult, rows
from erplan.catalogs import EndpointSet
from erplan.engine import Engine
from erplan.generators.modes import Mode
from erplan.generators.pac import render_pac
from erplan.generators.plan import plan
from erplan.load import LoadedDesign, load_design

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RANK = {"Optimize": 0, "Allow": 1, "Default": 2}
CATEGORIES = {
    Mode.OPTIMIZE: {"Optimize"},
    Mode.ALLOW: {"Optimize", "Allow"},
    Mode.ALL: {"Optimize", "Allow", "Default"},
}
OTHER_NAMES = [
    "example.com",
    "www.example.org",
    "sharepoint.com",
    "evil-sharepoint.com",
    "xsharepoint.com",
    "sharepoint.com.evil.example",
    "outlook.office365.com.example.net",
    "login.microsoftonline.com.attacker.test",
    "officeapps.live.com.example",
    "intranet",
    "10.1.2.3",
]


def instances(pattern: str) -> list[str]:
    """Host names a pattern covers: its wildcards filled with one label, then with two."""
    out = []
    for fill in ("pac-test", "a.b"):
        labels = [fill if lab == "*" else lab.replace("*", "x") for lab in pattern.split(".")]
        out.append(".".join(labels))
    return out if "*" in pattern else [pattern]


@cache
def catalog_hosts() -> tuple[str, ...]:
    hosts: dict[str, None] = {}
    for es in CATALOGS.endpoint_sets:
        for url in es.urls:
            hosts.update(dict.fromkeys(instances(url.lower())))
    return tuple(hosts)


class Oracle:
    """What the engine says a site's clients reach over ExpressRoute, per endpoint set."""

    def __init__(self, loaded: LoadedDesign) -> None:
        self.rows: dict[str, FlowResult] = {}
        for r in rows(Engine(loaded.design, CATALOGS)):
            for f in r.flows:
                self.rows[f.key] = r

    def sets(self, site: str) -> list[EndpointSet]:
        out = []
        for key in self.rows:
            parts = key.split("/")
            if parts[0] == "out" and parts[1] == site and len(parts) == 3:
                es = CATALOGS.endpoint_set(int(parts[2]))
                assert es is not None
                out.append(es)
        return out

    def over_expressroute(self, site: str, set_id: int) -> bool:
        """The site's own (not proxied) connections leave by a circuit, every one working."""
        r = self.rows[f"out/{site}/{set_id}"]
        flow = next(f for f in r.flows if f.key == f"out/{site}/{set_id}")
        if flow.proxy is not None:
            return False
        good = sum(
            b.weight
            for b in r.trace.branches
            if b.outcome.works and (b.forward.edge or "").startswith("circuit:")
        )
        return good >= 1 - 1e-9

    def direct(self, site: str, host: str, mode: Mode) -> bool:
        hits = [(u.lower(), es) for es in self.sets(site) for u in es.urls if covers(u, host)]
        if not hits:
            return False
        top = max(specificity(u) for u, _ in hits)
        sets = {es.id: es for u, es in hits if specificity(u) == top}
        category = min((es.category for es in sets.values()), key=RANK.__getitem__)
        return category in CATEGORIES[mode] and all(self.over_expressroute(site, i) for i in sets)


# -- the designs -----------------------------------------------------------------------------
def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((EXAMPLES / name).read_text())
    return data


def variant(name: str, change: Any) -> dict[str, Any]:
    d = copy.deepcopy(example(name))
    change(d)
    return d


def _filter_exchange(d: dict[str, Any]) -> None:
    d["circuits"]["hq-er"]["route_filter"] = ["Exchange"]


def _scoped(d: dict[str, Any]) -> None:
    d["sites"]["hq"]["er_routes"] = False


def _circuit_down(d: dict[str, Any]) -> None:
    d["circuits"]["hq-er"]["up"] = False


def _scoped_direct_allowed(d: dict[str, Any]) -> None:
    d["sites"]["hq"]["er_routes"] = False
    d["sites"]["hq"]["proxy"]["direct_internet"] = True


def _cloud(d: dict[str, Any]) -> None:
    d["devices"]["web-proxy"].update({"egress": "cloud", "address": "165.225.7.7", "port": 443})
    d["tenant"]["name"] = "contoso"


PROXY_HQ = "PROXY 10.1.255.10:8080"
# (id, design, mode, {site: proxy answer}, whether some name must go DIRECT)
CASES: list[tuple[str, dict[str, Any], Mode, dict[str, str], bool]] = [
    (
        "g001-sharepoint-outbound",
        example("g001-sharepoint-outbound.yaml"),
        Mode.ALL,
        {"chicago": "PROXY proxy.contoso.com:8080", "dallas": "PROXY proxy.contoso.com:8080"},
        True,
    ),
    ("g000-proxy-only-pac", example("g000-proxy-only-pac.yaml"), Mode.ALL, {"hq": PROXY_HQ}, True),
    (
        "g000-proxy-only-pac-optimize",
        example("g000-proxy-only-pac.yaml"),
        Mode.OPTIMIZE,
        {"hq": PROXY_HQ},
        True,
    ),
    (
        "g000-proxy-only-pac-allow",
        example("g000-proxy-only-pac.yaml"),
        Mode.ALLOW,
        {"hq": PROXY_HQ},
        True,
    ),
    (
        "g000-fig05-fix2-us-proxy",
        example("g000-fig05-fix2-us-proxy.yaml"),
        Mode.ALL,
        {"eu": "PROXY proxy.us.contoso.com:8080"},
        False,
    ),
    (
        "route-filter-exchange-only",
        variant("g000-proxy-only-pac.yaml", _filter_exchange),
        Mode.ALL,
        {"hq": PROXY_HQ},
        True,
    ),
    (
        "route-scope",
        variant("g000-proxy-only-pac.yaml", _scoped),
        Mode.ALL,
        {"hq": PROXY_HQ},
        False,
    ),
    (
        "circuit-down",
        variant("g000-proxy-only-pac.yaml", _circuit_down),
        Mode.ALL,
        {"hq": PROXY_HQ},
        False,
    ),
    (
        "route-scope-direct-internet",
        variant("g000-proxy-only-pac.yaml", _scoped_direct_allowed),
        Mode.ALL,
        {"hq": PROXY_HQ},
        False,
    ),
    (
        "cloud-proxy",
        variant("g000-proxy-only-pac.yaml", _cloud),
        Mode.ALL,
        {"hq": "PROXY 165.225.7.7:443"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("data", "mode", "proxies", "some_direct"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_pac_decides_as_the_engine_routes(
    data: dict[str, Any], mode: Mode, proxies: dict[str, str], some_direct: bool
) -> None:
    loaded = load(data)
    p = plan(loaded, CATALOGS, mode=mode, file="case.yaml")
    assert {s.site for s in p.sites} == set(proxies)
    oracle = Oracle(loaded)
    tenant = [n.pattern.text for s in p.sites for n in s.names if n.origin == "tenant"]
    hosts = sorted({*catalog_hosts(), *OTHER_NAMES, *tenant})
    for site in p.sites:
        pac = render_pac(p, site, "2026-01-01")
        answers = run(pac, hosts)
        expected = {h: oracle.direct(site.site, h, mode) for h in hosts}
        want = {h: "DIRECT" if d else proxies[site.site] for h, d in expected.items()}
        for engine in ENGINES:
            wrong = {
                h: (answers[engine][h], want[h]) for h in hosts if answers[engine][h] != want[h]
            }
            assert not wrong, f"{engine}, site {site.site}: (got, expected) {wrong}"
        assert any(expected.values()) is some_direct
        assert not all(expected.values())


def test_a_site_without_its_expressroute_route_gets_a_finding() -> None:
    """ERP901 where the design's PAC would send ExpressRoute-able names DIRECT without a
    route; none where every such name has one."""
    for change in (_filter_exchange, _scoped, _circuit_down, _scoped_direct_allowed):
        p = plan(load(variant("g000-proxy-only-pac.yaml", change)), CATALOGS)
        hits = [f for f in p.findings if f.code == "ERP901"]
        assert len(hits) == 1, change.__name__
        assert hits[0].subject == "sites.hq.proxy.mode"
    for name in ("g000-proxy-only-pac.yaml", "g001-sharepoint-outbound.yaml"):
        p = plan(load_design(EXAMPLES / name, CATALOGS), CATALOGS)
        assert not [f for f in p.findings if f.code == "ERP901"]
    filtered = plan(load(variant("g000-proxy-only-pac.yaml", _filter_exchange)), CATALOGS)
    erp901 = next(f for f in filtered.findings if f.code == "ERP901")
    # Exchange is admitted: its sets are not named; SharePoint (31) and Teams (12) are.
    assert {1, 2, 9, 10}.isdisjoint(erp901.data["sets"])
    assert {12, 31, 46, 56, 64} <= set(erp901.data["sets"])


def test_erp901_at_a_proxy_only_site_names_why_the_route_is_missing() -> None:
    """At a site whose clients may not go out directly, a DIRECT name without an ExpressRoute
    route is refused at the perimeter: ERP901 says why the route is missing - the route scope,
    the circuit that is down, or the route filter - and points its fix at that object, as
    verify does (erplan.analyses.missing_routes), not at the perimeter alone."""
    cases = (
        (_scoped, "site hq takes no ExpressRoute routes (er_routes: false)", "sites.hq.er_routes"),
        (_circuit_down, "circuit hq-er, which carries", "circuits.hq-er.up"),
        (_filter_exchange, "no circuit's route filter admits", "circuits.hq-er.route_filter"),
    )
    for change, why, culprit in cases:
        p = plan(load(variant("g000-proxy-only-pac.yaml", change)), CATALOGS)
        (f,) = [f for f in p.findings if f.code == "ERP901"]
        assert "the perimeter lets no client of site hq reach the internet" in f.message
        assert why in f.message, change.__name__
        assert f.data["culprits"] == [culprit], change.__name__
        fixes = {
            _scoped: "propagate the Microsoft routes to that site (er_routes: true)",
            _circuit_down: "bring the circuit up",
            _filter_exchange: "admit the service in the circuit's route filter",
        }
        assert f.fix is not None and f.fix.startswith(fixes[change]), change.__name__
    # Sets that share one trace (the default route) each name their own service.
    p = plan(load(variant("g000-proxy-only-pac.yaml", _scoped)), CATALOGS)
    (f,) = [f for f in p.findings if f.code == "ERP901"]
    assert "31 (*.sharepoint.com): 100% dropped" in f.message
    part = f.message.split("31 (*.sharepoint.com): ", 1)[1].split(";", 1)[0]
    assert part.endswith("although circuit hq-er carries SharePoint Online")
    # Where clients may go out directly, nothing is refused: no reason is named.
    p = plan(load(variant("g000-proxy-only-pac.yaml", _scoped_direct_allowed)), CATALOGS)
    (f,) = [f for f in p.findings if f.code == "ERP901"]
    assert f.data["culprits"] == [] and "takes no ExpressRoute routes" not in f.message


def test_a_proxy_the_pac_cannot_name() -> None:
    """ERP903: a proxy device without address is named by the address erplan models it at
    (warning); a cloud proxy without address cannot be named (error, no PAC file)."""

    def no_address(d: dict[str, Any]) -> None:
        d["devices"]["web-proxy"].pop("address")

    def cloud_no_address(d: dict[str, Any]) -> None:
        d["devices"]["web-proxy"].pop("address")
        d["devices"]["web-proxy"]["egress"] = "cloud"

    p = plan(load(variant("g000-proxy-only-pac.yaml", no_address)), CATALOGS)
    assert [s.proxy for s in p.sites] == ["PROXY 10.1.0.1:8080"]
    (f,) = [f for f in p.findings if f.code == "ERP903"]
    assert (f.severity.value, f.subject) == ("warning", "devices.web-proxy")
    p = plan(load(variant("g000-proxy-only-pac.yaml", cloud_no_address)), CATALOGS)
    assert p.sites == [] and p.skipped == [("hq", "its proxy cannot be named in a PAC file")]
    (f,) = [f for f in p.findings if f.code == "ERP903"]
    assert f.severity.value == "error"
