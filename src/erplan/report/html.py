"""The HTML report: one self-contained file (no external resource, works offline).

Rendered from ``templates/report.html.j2`` with autoescape on: every name from the design or the
catalogs is text. The style sheet and the script are the package's own, inlined, and the page's
Content-Security-Policy admits exactly them (by hash) and nothing else, so even a name that
escaped escaping could not run or load anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from erplan.analyses.verdicts import VERDICT_ORDER, Report, Verdict
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding
from erplan.model import Design
from erplan.output import counts, tool_version
from erplan.report.data import pack
from erplan.report.draw import asset, environment, render_svg
from erplan.report.problems import SEVERITY_ORDER, ProblemGroup, problem_groups
from erplan.report.sections import Section
from erplan.report.topology import Topology, build, front_ends_of


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def json_for_script(data: Any) -> Markup:
    """JSON that cannot end its ``<script>`` element: ``<``, ``>`` and ``&`` as escapes."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # escaped above for the script element


def reached_front_ends(report: Report) -> set[str]:
    names: set[str] = set()
    for r in report.results:
        names.add(r.flow.front_end or "")
        names.update(name for name, _, _ in r.flow.answers)
        names.update(b.front_end or "" for b in r.trace.branches)
    names.discard("")
    return names


def design_topology(design: Design, catalogs: Catalogs, report: Report) -> Topology:
    return build(design, catalogs, front_ends_of(reached_front_ends(report), catalogs))


def _finding_view(f: Finding, group: int | None) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "where": str(f.location) if f.location else "",
        "fix": f.fix or "",
        "source": f.source or "",
        "silenced": f.silenced,
        "group": group,
    }


def _summary(report: Report) -> dict[str, Any]:
    s = report.summary
    flows = max(int(s["flows"]), 1)
    rows = [
        {
            "verdict": v.value,
            "severity": v.severity.value if v.severity else "ok",
            "flows": s["by_verdict"][v.value],
            "share": s["by_verdict"][v.value] / flows,
            "users": s["users_by_verdict"][v.value],
        }
        for v in sorted(VERDICT_ORDER, key=_verdict_rank)
    ]
    return {**s, "rows": rows, "findings": counts(report.findings)}


def _verdict_rank(v: Verdict) -> tuple[int, int]:
    """Errors first, then warnings, then ok; the verdicts' own order within each."""
    sev = SEVERITY_ORDER[v.severity] if v.severity is not None else 3
    return (sev, VERDICT_ORDER.index(v))


def render_report(
    design: Design,
    catalogs: Catalogs,
    report: Report,
    *,
    source: Path | str,
    sections: Sequence[Section] = (),
) -> str:
    """The whole report as one HTML document."""
    groups: list[ProblemGroup] = problem_groups(report)
    group_of = {id(g.finding): i for i, g in enumerate(groups)}
    findings = sorted(
        report.findings,
        key=lambda f: (f.silenced is not None, SEVERITY_ORDER[f.severity], f.code, f.message),
    )
    topo = design_topology(design, catalogs, report)
    data = pack(topo, report, groups, design.analysis)
    css = asset("map.css") + asset("report.css")
    script = asset("report.js")
    csp = (
        "default-src 'none'; "
        f"style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            title=design.name or Path(str(source)).stem,
            description=design.description or "",
            source=Path(str(source)).name,
            version=tool_version(),
            endpoints=catalogs.endpoints_source,
            summary=_summary(report),
            findings=[_finding_view(f, group_of.get(id(f))) for f in findings],
            groups=groups,
            sections=sections,
            map_svg=Markup(render_svg(topo, standalone=False)),  # escaped by its template
            data=json_for_script(data),
            css=Markup(css),
            script=Markup(script),
            csp=csp,
            counts={
                "sites": len(design.sites),
                "circuits": len(design.circuits),
                "breakouts": len(design.breakouts),
                "services": len(design.services),
            },
        )
    )
