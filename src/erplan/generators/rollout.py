"""The deployment, test and rollback plan (guide 001 "Build your deployment and testing
procedures"): a staged rollout — the Microsoft peering and the customer edges first with the
routes given to one pilot segment, then segment by segment — each stage with its exact changes
(the generated files), the tests of guide 001's list with the result *expected*, and its
rollback step.

Expected results come from the engine, traced on the design as it stands at that stage (the
stage's changes applied to it): the path a traceroute shows, the source a psping or a telnet to
port 25 presents after NAT, the prefixes each link's route table lists. The stages are also
written in ``erplan stages`` form (``plan/stages.yaml``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from erplan import facts, facts_edges
from erplan.analyses.verdicts import FlowResult, Report, verify
from erplan.engine import Direction
from erplan.engine.ranges import addr
from erplan.engine.trace import edge_owner
from erplan.generators.safe import ident, markdown_cell
from erplan.model import Design

if TYPE_CHECKING:
    from erplan.generators.registry import Context

GUIDE = 'guide 001, "Build your test procedures"'
PLAN_VERSION = 1


@dataclass(frozen=True)
class Test:
    what: str  # guide 001's test, in its words
    where: str  # where it runs
    command: str
    expected: str


@dataclass
class Stage:
    name: str
    changes: list[str]
    set: dict[str, Any]  # the design at this stage, as erplan stages reads it
    tests: list[Test] = field(default_factory=list)
    rollback: list[str] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    design: str
    before: dict[str, Any]
    stages: list[Stage]


@dataclass(frozen=True)
class _Loaded:
    design: Design
    source: Any


def staged(design: Design, changes: dict[str, Any]) -> Design:
    """The design with ``changes`` (dotted paths, as ``erplan stages`` reads them) applied."""
    data = design.model_dump(mode="python", by_alias=True, exclude_unset=False)
    for dotted, value in changes.items():
        *head, last = dotted.split(".")
        node = data
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return Design.model_validate(data)


def _pilot(design: Design) -> str | None:
    """The pilot segment: the site of the first circuit (its routes come first)."""
    for c in design.circuits.values():
        if design.sites[c.site].er_routes:
            return c.site
    return next((s for s, site in design.sites.items() if site.er_routes), None)


def _stage_sets(design: Design) -> list[tuple[str, dict[str, Any]]]:
    scoped = [s for s, site in design.sites.items() if site.er_routes]
    pilot = _pilot(design)
    order = [s for s in scoped if s != pilot]
    out = []
    if pilot is not None:
        rest = {f"sites.{s}.er_routes": False for s in order}
        out.append((f"peering and customer edges; routes to the pilot segment {pilot}", rest))
    for i, site in enumerate(order):
        rest = {f"sites.{s}.er_routes": False for s in order[i + 1 :]}
        out.append((f"routes to segment {site}", rest))
    if not out:
        out.append(("peering and customer edges (no segment receives the routes)", {}))
    return out


def _source(design: Design, address: int) -> str:
    """Which pool or breakout address a translated source belongs to."""
    ip = addr(address)
    for name in design.circuits:
        for _, pool, link in facts.pools(design, name):
            if facts.covered(IPv4Address(ip), [pool]):
                where = f"circuit {name}" + (f" {link.value} link" if link else "")
                return f"an address of {pool} (pool of {where})"
    for name, b in design.breakouts.items():
        if facts.covered(IPv4Address(ip), b.nat):
            return f"{ip} (internet NAT of breakout {name})"
    return f"{ip} (not translated)"


def _outbound_tests(design: Design, result: FlowResult) -> list[Test]:
    """One test per distinct way the connections go (branches that differ only by source
    sub-range are one way), with its share."""
    f = result.flow
    ways: dict[tuple[str, ...], float] = {}
    for b in result.trace.branches:
        if b.weight <= 0:
            continue
        translated = next((h.src for h in b.forward.hops if h.src_before is not None), None)
        key = (
            " > ".join(h.label for h in b.forward.hops[1:]),
            str(b.forward.edge),
            _source(design, translated) if translated is not None else "not translated",
            b.outcome.value,
        )
        ways[key] = ways.get(key, 0.0) + b.weight
    dst = addr(f.destination) if f.destination else (f.fqdn or "")
    out = []
    for (hops, edge, source, outcome), weight in ways.items():
        share = f" ({weight:.0%} of connections)" if weight < 0.9995 else ""
        out.append(
            Test(
                f"ping, tracert and tcpping across the new circuit to a host of {f.fqdn}{share}",
                f"a host of site {f.origin}",
                f"tracert {dst}; psping {dst}:{f.port}",
                f"path: {hops}; leaves by {edge}; source seen by Microsoft: {source}; "
                f"outcome {outcome}",
            )
        )
    return out


def _inbound_tests(design: Design, result: FlowResult) -> list[Test]:
    f = result.flow
    svc = design.services[f.origin]
    out = []
    for b in result.trace.branches:
        if b.weight <= 0:
            continue
        entry = next((h for h in b.forward.hops if h.src_before is not None), None)
        seen = (
            f"an address of the inbound source-NAT pool ({_source_pool(design, f.origin, b)})"
            if entry is not None
            else "the initiator's own address (no source NAT)"
        )
        tool = f"telnet {svc.fqdn} 25" if f.port == 25 else f"psping {svc.fqdn}:{f.port}"
        out.append(
            Test(
                "Run telnet to any mail host that you expose on port 25 and verify that SNAT is "
                "hiding the original source IP address"
                if f.port == 25
                else "PSPing to each customer endpoint: source and destination as expected",
                "a separate internet connected host"
                if f.kind == "internet"
                else f"{f.front_end or 'Microsoft'} ({f.kind})",
                tool,
                f"enters by {b.forward.edge}; the server {addr(f.destination)} -> "
                f"{b.forward.hops[-1].label} sees {seen}; outcome {b.outcome.value}",
            )
        )
    return out


def _source_pool(design: Design, service: str, branch: Any) -> str:
    edge = branch.forward.edge or ""
    name = (edge_owner(edge) or "").partition(":")[2]
    pool = facts_edges.inbound_pool(design, design.services[service], name)
    return str(pool) if pool is not None else "none"


def _circuit_tests(design: Design, catalogs: Any) -> list[Test]:
    out = []
    for name, c in design.circuits.items():
        links = (("primary", c.primary_subnet), ("secondary", c.secondary_subnet))
        for link, subnet in links:
            if subnet is None:
                continue
            msee = list(subnet.hosts())[1]
            out.append(
                Test(
                    "Ping from your on-premises router to your network operator router",
                    f"customer edge of {name}",
                    f"ping {msee}",
                    f"replies from the Microsoft edge of the {link} link",
                )
            )
        out.append(
            Test(
                "ExpressRoute circuits are paired, validate that both BGP sessions are running",
                f"customer edge of {name}",
                "vtysh -c 'show bgp ipv4 unicast summary'",
                "two sessions with AS 12076 Established",
            )
        )
        comms = sorted(facts.circuit_communities(design, catalogs, name))
        out.append(
            Test(
                "Validate the Microsoft 365 IP address advertisements are received by your "
                "on-premises router",
                f"customer edge of {name}",
                " ; ".join(f"vtysh -c 'show bgp ipv4 unicast community {x}'" for x in comms),
                "routes tagged " + ", ".join(comms) + "; nothing else accepted",
            )
        )
        for link in facts.LINKS:
            adv = [str(p) for p in facts.link_advertisements(design, name, link)]
            learned = [str(p) for p in facts.learned_prefixes(design, name, link)]
            out.append(
                Test(
                    "Validate that routes to your NAT are being advertised from your router",
                    f"customer edge of {name}",
                    "vtysh -c 'show bgp ipv4 unicast neighbors MSEE advertised-routes'",
                    f"{link.value} link: {', '.join(adv) or 'nothing'}",
                )
            )
            out.append(
                Test(
                    "Validate that ExpressRoute has accepted your advertised prefixes",
                    "Azure",
                    f"Get-AzExpressRouteCircuitRouteTable -DevicePath {link.value.capitalize()} "
                    f"-ExpressRouteCircuitName {name} -ResourceGroupName RG -PeeringType "
                    f"MicrosoftPeering; az network express-route list-route-tables --path "
                    f"{link.value} --peering-name MicrosoftPeering",
                    f"{link.value} link lists {', '.join(learned) or 'nothing'}",
                )
            )
    return out


def _tests(design: Design, report: Report, sites: set[str]) -> list[Test]:
    out: list[Test] = []
    seen: set[tuple[str, str]] = set()
    for r in report.results:
        f = r.flow
        if f.direction is Direction.OUTBOUND and f.origin in sites and f.express_route:
            key = (f.origin, f.fqdn or "")
            # guide 001's test host first (outlook.office365.com), one test per site and area
            if key in seen:
                continue
            seen.add(key)
            out.extend(_outbound_tests(design, r))
        elif f.direction is Direction.INBOUND and f.kind in ("internet", "microsoft-365"):
            out.extend(_inbound_tests(design, r))
    return out


def build(ctx: Context) -> Plan:
    design = ctx.design
    before = {f"circuits.{c}.up": False for c in design.circuits}
    stages: list[Stage] = []
    done: set[str] = set()
    for i, (name, changes) in enumerate(_stage_sets(design)):
        at = staged(design, changes)
        report = ctx.report if not changes else verify(_Loaded(at, ctx.loaded.source), ctx.catalogs)
        new_sites = {s for s, site in at.sites.items() if site.er_routes} - done
        done |= new_sites
        stage = Stage(name, [], changes)
        if i == 0:
            for c in design.circuits:
                f = ident(c)
                stage.changes += [
                    f"RESOURCE_GROUP=... sh azure/{f}.sh deploy (or terraform apply "
                    "terraform/microsoft-peering.tf)",
                    f"customer edge of {c}: frr/{f}.conf (vtysh -b), nftables/{f}*.nft "
                    "(nft -f), or ios-xe/ and junos/",
                ]
                stage.rollback += [
                    f"RESOURCE_GROUP=... sh azure/{f}.sh rollback",
                    f"customer edge of {c}: restore the configuration saved before the stage; "
                    "nft delete table inet erplan",
                ]
            stage.tests += _circuit_tests(design, ctx.catalogs)
        for s in sorted(new_sites):
            stage.changes.append(
                f"add the router of site {s} to the INSIDE group of the customer edges"
                + (
                    " and give its pilot users the test PAC file (erplan pac --site)"
                    if design.sites[s].proxy.mode.value == "pac"
                    else ""
                )
            )
            stage.rollback.append(f"remove the router of site {s} from the INSIDE group")
        stage.tests += _tests(at, report, new_sites | (done if i == 0 else set()))
        for r in report.results:
            stage.verdicts[r.verdict.value] = stage.verdicts.get(r.verdict.value, 0) + 1
        stages.append(stage)
    return Plan(ctx.file, before, stages)


def to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "erplan_plan": PLAN_VERSION,
        "design": plan.design,
        "source": GUIDE,
        "erplan_stages": {
            "erplan_stages": 1,
            "before": plan.before,
            "stages": [{"name": s.name, "set": s.set} for s in plan.stages],
        },
        "stages": [
            {
                "name": s.name,
                "changes": s.changes,
                "set": s.set,
                "tests": [t.__dict__ for t in s.tests],
                "rollback": list(reversed(s.rollback)),
                "verdicts": s.verdicts,
            }
            for s in plan.stages
        ],
    }


def render_stages(plan: Plan) -> str:
    """The stages in ``erplan stages`` form (``erplan stages DESIGN --plan plan/stages.yaml``)."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    buf.write(f"# Rollout stages of {plan.design} (erplan generate plan)\n")
    yaml.dump(to_dict(plan)["erplan_stages"], buf)
    return buf.getvalue()


def render_json(plan: Plan) -> str:
    return json.dumps(to_dict(plan), indent=2, sort_keys=False) + "\n"


def render_markdown(plan: Plan) -> str:
    m = markdown_cell
    out = [f"# Deployment, test and rollback plan: {m(plan.design)}", ""]
    out.append(
        'Stage by stage (guide 001 "Build your deployment procedures"): run the changes, run '
        "the tests and log each result against the expected one, roll back the stage on any "
        "difference. Expected results are erplan's, traced on the design as it stands at that "
        "stage."
    )
    for n, s in enumerate(plan.stages, start=1):
        out += ["", f"## Stage {n}: {m(s.name)}", "", "Changes:", ""]
        out += [f"{i}. {m(c)}" for i, c in enumerate(s.changes, start=1)] or ["none"]
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(s.verdicts.items()))
        out += ["", f"Flow verdicts at this stage: {m(verdicts)}", "", "Tests:", ""]
        out += ["| test | where | command | expected |", "|---|---|---|---|"]
        out += [
            f"| {m(t.what)} | {m(t.where)} | {m(t.command)} | {m(t.expected)} |" for t in s.tests
        ]
        out += ["", "Rollback (in this order):", ""]
        out += [f"{i}. {m(c)}" for i, c in enumerate(reversed(s.rollback), start=1)] or ["none"]
    return "\n".join(out) + "\n"
