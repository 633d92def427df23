"""Flow traces hop by hop, the report's JSON, and the verify/trace commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from _designs import CATALOGS, load, run, two_sites
from erplan.cli import app, common
from erplan.flows import FlowEngine, HopKind, Outcome

ROOT = Path(__file__).resolve().parent.parent
FIG4 = ROOT / "examples" / "g000-fig04-single-us-circuit.yaml"


def _exo() -> object:
    return CATALOGS.endpoint_set(1)


def test_outbound_trace_rewrites_the_source_at_the_circuit_nat() -> None:
    eng = FlowEngine(load(two_sites()).design, CATALOGS)
    es = CATALOGS.endpoint_set(1)
    assert es is not None
    flow = eng.outbound("eu", es, "outlook.office365.com")
    t = flow.trace
    assert t.egress == "expressroute:eu-er" and t.front_end == "Amsterdam"
    snat = [h for h in t.forward.hops if h.action == "snat"]
    assert [(h.src_before, h.src) for h in snat] == [("10.2.0.1", "20.2.2.9")]
    kinds = [h.kind for h in t.forward.hops]
    assert kinds[0] is HopKind.SITE and kinds[-1] is HopKind.FRONT_END
    assert HopKind.CIRCUIT in kinds
    (ret,) = t.returns
    assert ret.symmetric and ret.via == "expressroute:eu-er"
    unsnat = [h for h in ret.hops if h.action == "un-snat"]
    assert [(h.dst_before, h.dst) for h in unsnat] == [("20.2.2.9", "10.2.0.1")]
    assert t.outcome is Outcome.OK


def test_figure4_hairpin_latency_counts_both_crossings() -> None:
    rep = run(load_fig4())
    eu = [r for r in rep.results if r.flow.origin == "eu" and r.flow.express_route]
    assert eu and all(r.verdict.value == "suboptimal" for r in eu)
    r = eu[0]
    assert r.best is not None and r.latency.ms > 2 * r.best.ms
    assert r.latency.estimated  # the backbone legs are estimates
    assert r.cause_key == "propagated"


def load_fig4() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(FIG4.read_text())


def test_inbound_dnat_and_inbound_snat_make_the_reply_symmetric() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.2.59/32"]
    d["services"] = {
        "exch": {
            "fqdn": "mail.contoso.com",
            "dns_record": "20.2.2.59",
            "public_address": "20.2.2.59",
            "internal_address": "172.16.1.63",
            "site": "us",
            "entry": ["expressroute"],
            "inbound_snat": {"us-er": "10.255.1.0/28"},
        }
    }
    eng = FlowEngine(load(d).design, CATALOGS)
    (flow,) = eng.inbound("exch")
    fwd = flow.trace.forward.hops
    assert [(h.dst_before, h.dst) for h in fwd if h.action == "dnat"] == [
        ("20.2.2.59", "172.16.1.63")
    ]
    assert [h.src for h in fwd if h.action == "snat"] == ["10.255.1.1"]
    (ret,) = flow.trace.returns
    assert ret.symmetric and ret.hops[-1].src == "20.2.2.59"
    assert flow.trace.outcome is Outcome.OK


def test_report_json_is_stable_and_lists_every_flow() -> None:
    rep = run(two_sites())
    doc = rep.to_dict()
    assert json.dumps(doc, sort_keys=True) == json.dumps(run(two_sites()).to_dict(), sort_keys=True)
    n = sum(len(g["endpoint_sets"]) for g in doc["flows"])
    assert n == rep.summary["flows"] == len(rep.results)
    assert all(g["trace"] in doc["traces"] for g in doc["flows"])
    assert rep.summary["by_verdict"]["ok"] == n


class _Run:
    def __init__(self, args: list[str]) -> None:
        res = CliRunner().invoke(app, args, standalone_mode=False)
        self.output = res.output
        exc = res.exception
        self.exit_code = exc.code if isinstance(exc, common.Exit) else res.exit_code


def test_verify_command_exit_codes_and_lines() -> None:
    ok = _Run(["verify", str(ROOT / "examples" / "g000-fig17-per-circuit-pools.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "ok " in ok.output
    bad = _Run(["verify", str(ROOT / "examples" / "g000-fig16-shared-pool.yaml")])
    assert bad.exit_code == 1
    assert "g000-fig16-shared-pool.yaml:" in bad.output and "ERP803 error dropped" in bad.output
    js = _Run(["verify", str(FIG4), "--format", "json"])
    assert json.loads(js.output)["summary"]["by_verdict"]["suboptimal"] == 10


def test_trace_command() -> None:
    out = _Run(["trace", str(FIG4), "--from", "eu", "--to", "outlook.office365.com"])
    assert out.exit_code == 0, out.output
    assert "[source 10.2.0.1 -> 20.2.2.1]" in out.output
    assert "verdict: suboptimal" in out.output
    miss = _Run(["trace", str(FIG4), "--from", "eu", "--to", "outlook.office356.com"])
    assert miss.exit_code == 2
    assert "did you mean" in miss.output
    site = _Run(["trace", str(FIG4), "--from", "europe", "--to", "outlook.office365.com"])
    assert site.exit_code == 2
