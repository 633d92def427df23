"""The map as SVG: one template (package data, autoescaped), used inline by the HTML report and
on its own by ``erplan diagram --format svg``.

Names from the design and the catalogs reach the SVG only through the template's escaping, as
text or attribute values; nothing here builds markup by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from erplan.report.sketch import Status, Stroke, Style
from erplan.report.topology import MapNode, Topology

OFFSET = 3.0  # px: a reply runs beside its request, not on top of it


@cache
def environment() -> jinja2.Environment:
    """Every template of the report, escaped for HTML/XML whatever its name."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("erplan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def asset(name: str) -> str:
    """A static file of the report (style sheet, script) from the package data."""
    return (resources.files("erplan.report") / "templates" / name).read_text(encoding="utf-8")


def _node_view(n: MapNode) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "label": n.label,
        "title": n.title + ("" if n.up else " (down)"),
        "x": n.x,
        "y": n.y,
        "up": n.up,
        "labelled": n.labelled,
        "home": n.home,
        "label_at": n.label_at,
    }


def segment_lines(
    topo: Topology, s: Stroke
) -> list[tuple[float, float, float, float, Style, bool]]:
    """(x1, y1, x2, y2, style, last) per segment, offset to the stroke's side."""
    side = OFFSET if s.direction == "reply" else -OFFSET
    out = []
    for i, style in enumerate(s.styles):
        (x1, y1), (x2, y2) = topo.point(s.points[i]), topo.point(s.points[i + 1])
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ox, oy = -(y2 - y1) / length * side, (x2 - x1) / length * side
        out.append(
            (
                round(x1 + ox, 1),
                round(y1 + oy, 1),
                round(x2 + ox, 1),
                round(y2 + oy, 1),
                style,
                i == len(s.styles) - 1,
            )
        )
    return out


def _stroke_view(topo: Topology, s: Stroke) -> dict[str, Any]:
    fail = topo.point(s.failed_at) if s.failed_at else None
    dots = [
        (*topo.point(p), s.direction + "\n" + "\n".join(notes), nat)
        for p, notes, nat in zip(s.points, s.notes, s.translated, strict=False)
    ]
    return {
        "direction": s.direction,
        "status": s.status.value,
        "segments": segment_lines(topo, s),
        "dots": dots,
        "failed": fail,
        "title": f"{s.direction}: {'works' if s.status is Status.OK else 'fails or is slow'}",
    }


def map_view(topo: Topology, strokes: Iterable[Stroke] = ()) -> dict[str, Any]:
    kinds_order = (
        "peering-location",
        "front-end",
        "site",
        "hosts",
        "breakout-edge",
        "customer-edge",
        "link-edge",
        "msee",
        "device",
        "internet",
        "microsoft",
    )
    rank = {k: i for i, k in enumerate(kinds_order)}
    nodes = sorted(topo.nodes.values(), key=lambda n: rank.get(n.kind, 99))
    edges = [
        {
            "kind": e.kind,
            "up": e.up,
            "title": e.title,
            "a": topo.point(e.a),
            "b": topo.point(e.b),
        }
        for e in topo.edges
    ]
    return {
        "title": topo.title,
        "width": topo.width,
        "height": topo.height,
        "graticule": topo.graticule,
        "edges": edges,
        "nodes": [_node_view(n) for n in nodes],
        "strokes": [_stroke_view(topo, s) for s in strokes],
        "counts": {
            k: sum(1 for n in topo.nodes.values() if n.kind == k)
            for k in ("site", "breakout-edge", "customer-edge", "peering-location", "front-end")
        },
    }


def render_svg(topo: Topology, strokes: Iterable[Stroke] = (), *, standalone: bool) -> str:
    """The map; ``standalone`` adds the XML declaration and its own style sheet."""
    view = map_view(topo, strokes)
    css = asset("map.css") if standalone else ""
    return environment().get_template("map.svg.j2").render(map=view, standalone=standalone, css=css)
