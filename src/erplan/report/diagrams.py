"""The map where architects keep diagrams: draw.io (diagrams.net, Visio imports it), Mermaid for
Markdown documents, SVG and Graphviz DOT; each optionally with one flow's paths.

All four draw the same :class:`Topology`. Outside the SVG a site's hosts are the site (they
stand on one spot), so strokes through ``lan:X`` go through ``site:X``. Every format escapes
names its own way (XML by ElementTree, Mermaid entity codes, DOT quoted strings); tests parse
each output back with a real parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from erplan.analyses.verdicts import FlowResult, Report
from erplan.catalogs import Catalogs
from erplan.model import Design
from erplan.report.draw import render_svg
from erplan.report.html import design_topology
from erplan.report.sketch import Stroke, strokes
from erplan.report.topology import MapNode, Topology

# Colours as the HTML report draws them.
OK_COLOUR = "#1e8f4e"
BAD_COLOUR = "#d0312d"


class DiagramFormat(StrEnum):
    DRAWIO = "drawio"
    MERMAID = "mermaid"
    SVG = "svg"
    DOT = "dot"

    @property
    def suffix(self) -> str:
        return {"drawio": ".drawio", "mermaid": ".mmd", "svg": ".svg", "dot": ".dot"}[self.value]


class UnknownFlow(LookupError):
    """No flow of the design has that key."""

    def __init__(self, key: str, known: Sequence[str]) -> None:
        super().__init__(key)
        self.key = key
        self.known = list(known)


@dataclass(frozen=True, slots=True)
class Picture:
    """What a diagram shows: the map's nodes (hosts folded into their sites) and edges, and
    the strokes of one flow through them."""

    topo: Topology
    nodes: tuple[MapNode, ...]
    edges: tuple[tuple[str, str, str, bool, str], ...]  # a, b, kind, up, title
    strokes: tuple[Stroke, ...]
    flow: str | None


def _fold(node: str) -> str:
    return "site:" + node[4:] if node.startswith("lan:") else node


def _folded(s: Stroke) -> Stroke:
    points: list[str] = []
    styles = []
    for i, p in enumerate(s.points):
        q = _fold(p)
        if points and points[-1] == q:
            continue
        if points:
            styles.append(s.styles[i - 1])
        points.append(q)
    failed = _fold(s.failed_at) if s.failed_at else None
    return Stroke(s.direction, s.status, tuple(points), tuple(styles), failed, s.weight)


def picture(topo: Topology, flow_strokes: Sequence[Stroke], flow: str | None) -> Picture:
    nodes = tuple(n for n in topo.nodes.values() if n.kind != "hosts")
    edges = tuple((e.a, e.b, e.kind, e.up, e.title) for e in topo.edges)
    return Picture(topo, nodes, edges, tuple(_folded(s) for s in flow_strokes), flow)


def find_row(report: Report, key: str) -> FlowResult:
    for r in report.results:
        if any(f.key == key for f in r.flows):
            return r
    raise UnknownFlow(key, [f.key for r in report.results for f in r.flows])


def render_diagram(
    design: Design,
    catalogs: Catalogs,
    report: Report,
    fmt: DiagramFormat,
    *,
    flow: str | None = None,
) -> str:
    """The design's map in ``fmt``, with the paths of flow ``flow`` (a flow key) when given."""
    from erplan.report import dot, drawio, mermaid

    topo = design_topology(design, catalogs, report)
    drawn: list[Stroke] = []
    if flow is not None:
        drawn = list(strokes(topo, find_row(report, flow), design.analysis))
    if fmt is DiagramFormat.SVG:
        return render_svg(topo, drawn, standalone=True)
    pic = picture(topo, drawn, flow)
    if fmt is DiagramFormat.DRAWIO:
        return drawio.render(pic)
    if fmt is DiagramFormat.MERMAID:
        return mermaid.render(pic)
    return dot.render(pic)
