"""The map as Graphviz DOT: nodes pinned at their map positions (``neato``, ``pos="x,y!"``), so
``dot -Tsvg`` or ``-Tpdf`` draws the same map; a flow's paths as thick coloured edges.

Every name is a quoted DOT string: ampersands, backslashes and double quotes escaped, line
breaks as ``\\n``; ids are generated. No HTML-like labels (``<...>``), which Graphviz would read
as markup.
"""

from __future__ import annotations

from erplan.report.diagrams import BAD_COLOUR, OK_COLOUR, Picture
from erplan.report.sketch import Status, Style
from erplan.report.topology import MapNode

_SHAPES: dict[str, str] = {
    "site": 'shape=doublecircle, width=0.22, style=filled, fillcolor="#ffffff"',
    "device": 'shape=square, width=0.12, style=filled, fillcolor="#b35c1e"',
    "customer-edge": 'shape=box, width=0.16, height=0.16, style=filled, fillcolor="#2c6e49"',
    "link-edge": 'shape=circle, width=0.08, style=filled, fillcolor="#2c6e49"',
    "msee": 'shape=square, width=0.1, style=filled, fillcolor="#0b4f8a"',
    "breakout-edge": 'shape=triangle, width=0.18, style=filled, fillcolor="#6c4f9c"',
    "peering-location": 'shape=hexagon, width=0.35, style=filled, fillcolor="#e8f1fb"',
    "front-end": 'shape=diamond, width=0.22, style=filled, fillcolor="#0b4f8a"',
    "internet": 'shape=ellipse, style=filled, fillcolor="#efe9f7"',
    "microsoft": 'shape=box, style="rounded,filled", fillcolor="#e8f1fb"',
}
_EDGES = {
    "wan": 'color="#6b7785", penwidth=1.6',
    "attach": 'color="#8a96a3"',
    "split": 'color="#4f6f8f"',
    "access": 'color="#4f6f8f"',
    "backbone": 'color="#7fa7d6", style=dashed',
}


def quote(text: str) -> str:
    """A DOT quoted string that shows ``text`` as it is (Graphviz also decodes character
    entities such as ``&amp;`` in labels, so ``&`` is one)."""
    escaped = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{escaped}"'


def _node(node_id: str, n: MapNode, height: float, note: str = "") -> str:
    shape = _SHAPES.get(n.kind, "shape=box")
    inside = n.kind in ("internet", "microsoft")
    text = n.label if (n.labelled or inside) else ""
    if note:
        text = f"{text} ({note})" if text else note
    # Small glyphs carry their name beside them (xlabel); the two badges inside.
    label, xlabel = (quote(text), '""') if inside else ('""', quote(text))
    pos = f'"{n.x:.1f},{height - n.y:.1f}!"'
    extra = "" if n.up else ', color="#c0392b", style="dashed"'
    if note:
        extra += f', color="{BAD_COLOUR}", penwidth=3'
    return (
        f"  {node_id} [{shape}, label={label}, xlabel={xlabel}, tooltip={quote(n.title)}, "
        f"pos={pos}{extra}];"
    )


def render(pic: Picture) -> str:
    topo = pic.topo
    ids = {n.id: f"n{i}" for i, n in enumerate(pic.nodes, 1)}
    lines = [
        "digraph erplan {",
        f"  graph [layout=neato, inputscale=72, splines=line, outputorder=edgesfirst, "
        f'label={quote(topo.title)}, labelloc=t, fontname="DejaVu Sans", fontsize=14];',
        '  node [fontname="DejaVu Sans", fontsize=9, fixedsize=false, margin=0.02];',
        "  edge [arrowhead=none];",
    ]
    notes: dict[str, list[str]] = {}
    for s in pic.strokes:
        if s.failed_at is not None:
            notes.setdefault(s.failed_at, []).append(f"{s.direction} fails here")
    lines.extend(
        _node(ids[n.id], n, topo.height, ", ".join(dict.fromkeys(notes.get(n.id, []))))
        for n in pic.nodes
    )
    for a, b, kind, up, title in pic.edges:
        if a not in ids or b not in ids:
            continue
        style = _EDGES.get(kind, 'color="#8a96a3"')
        if not up:
            style += ', color="#c0392b", style=dotted'
        lines.append(f"  {ids[a]} -> {ids[b]} [{style}, tooltip={quote(title)}];")
    for s in pic.strokes:
        colour = OK_COLOUR if s.status is Status.OK else BAD_COLOUR
        for j, style in enumerate(s.styles):
            a, b = s.points[j], s.points[j + 1]
            if a not in ids or b not in ids:
                continue
            dash = {Style.BACKBONE: ", style=dashed", Style.INTERNET: ", style=dotted"}
            lines.append(
                f'  {ids[a]} -> {ids[b]} [color="{colour}", penwidth=3, arrowhead=normal'
                f"{dash.get(style, '')}, tooltip={quote(s.direction)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
