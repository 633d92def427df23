"""The map as a draw.io file (diagrams.net; Visio imports it): an ``mxfile`` with one diagram.

Nodes are vertices at their map positions, wires are edges between them; a flow's paths go on
a layer of their own so they can be hidden in the editor. Built with ElementTree, which escapes
every name; labels are plain text (no ``html=1`` style: diagrams.net would render a name as
HTML otherwise).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from erplan.output import tool_version
from erplan.report.diagrams import BAD_COLOUR, OK_COLOUR, Picture
from erplan.report.sketch import Status, Style
from erplan.report.topology import MapNode

# (shape style, width, height) per kind of node.
_SHAPES: dict[str, tuple[str, float, float]] = {
    "site": ("ellipse;fillColor=#ffffff;strokeColor=#1f2d3a;strokeWidth=2", 18, 18),
    "device": ("rounded=0;fillColor=#b35c1e;strokeColor=#ffffff", 8, 8),
    "customer-edge": ("rounded=1;fillColor=#2c6e49;strokeColor=#ffffff", 12, 12),
    "link-edge": ("ellipse;fillColor=#2c6e49;strokeColor=none", 6, 6),
    "msee": ("rounded=0;fillColor=#0b4f8a;strokeColor=none", 7, 7),
    "breakout-edge": ("triangle;direction=north;fillColor=#6c4f9c;strokeColor=#ffffff", 13, 12),
    "peering-location": (
        "hexagon;perimeter=hexagonPerimeter2;fillColor=#e8f1fb;strokeColor=#0b4f8a",
        24,
        21,
    ),
    "front-end": ("rhombus;fillColor=#0b4f8a;strokeColor=#ffffff", 16, 16),
    "internet": ("ellipse;shape=cloud;fillColor=#efe9f7;strokeColor=#6c4f9c", 90, 40),
    "microsoft": ("rounded=1;fillColor=#e8f1fb;strokeColor=#0b4f8a;fontStyle=1", 144, 24),
}
_LABELLED_BELOW = ("peering-location", "front-end")
_EDGE_STYLES = {
    "wan": "strokeColor=#6b7785;strokeWidth=2",
    "attach": "strokeColor=#8a96a3",
    "split": "strokeColor=#4f6f8f",
    "access": "strokeColor=#4f6f8f",
    "backbone": "strokeColor=#7fa7d6;dashed=1;opacity=60",
}


def _style(parts: str, extra: str = "") -> str:
    # html=0: the label is text, never markup.
    return f"{parts};html=0;whiteSpace=wrap;{extra}".rstrip(";") + ";"


def _vertex(root: ET.Element, cell_id: str, n: MapNode) -> None:
    shape, w, h = _SHAPES.get(n.kind, ("rounded=0", 10, 10))
    if n.kind in ("internet", "microsoft"):
        position = "verticalAlign=middle;align=center"
    elif n.kind in _LABELLED_BELOW:
        position = "labelPosition=center;verticalLabelPosition=bottom;verticalAlign=top"
    else:
        position = "labelPosition=right;verticalLabelPosition=middle;align=left"
    label = n.label if (n.labelled or n.kind in ("internet", "microsoft")) else ""
    fade = "" if n.up else "dashed=1;strokeColor=#c0392b;"
    attrs = {
        "id": cell_id,
        "value": label,
        "style": _style(shape, f"{position};fontSize=10;{fade}"),
        "vertex": "1",
        "parent": "1",
    }
    cell = ET.SubElement(root, "mxCell", attrs)
    geometry = {
        "x": f"{n.x - w / 2:.1f}",
        "y": f"{n.y - h / 2:.1f}",
        "width": f"{w:g}",
        "height": f"{h:g}",
        "as": "geometry",
    }
    ET.SubElement(cell, "mxGeometry", geometry)


def _edge(
    root: ET.Element, cell_id: str, parent: str, a: str, b: str, style: str, value: str = ""
) -> None:
    attrs = {
        "id": cell_id,
        "value": value,
        "style": _style(style),
        "edge": "1",
        "parent": parent,
        "source": a,
        "target": b,
    }
    cell = ET.SubElement(root, "mxCell", attrs)
    ET.SubElement(cell, "mxGeometry", {"relative": "1", "as": "geometry"})


def render(pic: Picture) -> str:
    topo = pic.topo
    mxfile = ET.Element("mxfile", host="erplan", agent=f"erplan {tool_version()}")
    diagram = ET.SubElement(mxfile, "diagram", id="erplan-map", name=topo.title)
    model = ET.SubElement(
        diagram,
        "mxGraphModel",
        grid="0",
        gridSize="10",
        guides="1",
        tooltips="1",
        connect="1",
        arrows="1",
        fold="1",
        page="1",
        pageScale="1",
        pageWidth=f"{topo.width:g}",
        pageHeight=f"{topo.height:g}",
        math="0",
        shadow="0",
    )
    root = ET.SubElement(model, "root")
    ET.SubElement(root, "mxCell", id="0")
    ET.SubElement(root, "mxCell", {"id": "1", "value": "Design", "parent": "0"})
    ids = {n.id: f"v{i}" for i, n in enumerate(pic.nodes, 1)}
    for n in pic.nodes:
        _vertex(root, ids[n.id], n)
    for i, (a, b, kind, up, _title) in enumerate(pic.edges, 1):
        if a not in ids or b not in ids:
            continue
        style = _EDGE_STYLES.get(kind, "strokeColor=#8a96a3") + ";endArrow=none"
        if not up:
            style += ";dashed=1;strokeColor=#c0392b"
        _edge(root, f"e{i}", "1", ids[a], ids[b], style)
    if pic.strokes:
        layer = {"id": "flow", "value": f"Paths of flow {pic.flow}", "parent": "0"}
        ET.SubElement(root, "mxCell", layer)
        k = 0
        for s in pic.strokes:
            colour = OK_COLOUR if s.status is Status.OK else BAD_COLOUR
            for j, style in enumerate(s.styles):
                a, b = s.points[j], s.points[j + 1]
                if a not in ids or b not in ids:
                    continue
                k += 1
                parts = f"strokeColor={colour};strokeWidth=3;endArrow=block;endFill=1"
                if style is Style.BACKBONE:
                    parts += ";dashed=1;dashPattern=8 6"
                elif style is Style.INTERNET:
                    parts += ";dashed=1;dashPattern=1 4"
                last = j == len(s.styles) - 1
                value = f"{s.direction} fails here" if last and s.failed_at else ""
                _edge(root, f"p{k}", "flow", ids[a], ids[b], parts, value)
    ET.indent(mxfile)
    return ET.tostring(mxfile, encoding="unicode") + "\n"
