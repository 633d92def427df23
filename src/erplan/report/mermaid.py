"""The map as a Mermaid flowchart, for Markdown documents.

Mermaid places nodes itself, so this is the logical picture: one subgraph per site with what
stands there, one for the Microsoft network, the internet beside them; a flow's paths as thick
green or red arrows (dotted on the backbone). Node ids are generated; every label is quoted and
every character outside a small safe set is written as a Mermaid entity code (``#60;``), so a
name can neither end its label nor inject a directive, a link or markup.
"""

from __future__ import annotations

import string

from erplan.report.diagrams import BAD_COLOUR, OK_COLOUR, Picture
from erplan.report.sketch import Status, Style
from erplan.report.topology import MapNode

_SAFE = frozenset(string.ascii_letters + string.digits + " _-.,:/()+@")

# Mermaid node shapes: (opening, closing) around the quoted label.
_SHAPES: dict[str, tuple[str, str]] = {
    "site": ("((", "))"),
    "device": ("[", "]"),
    "customer-edge": ("[", "]"),
    "link-edge": ("(", ")"),
    "msee": ("[[", "]]"),
    "breakout-edge": (">", "]"),
    "peering-location": ("{{", "}}"),
    "front-end": ("{", "}"),
    "internet": ("([", "])"),
    "microsoft": ("[", "]"),
}
_KIND_WORD = {
    "device": "",
    "customer-edge": "customer edge ",
    "link-edge": "link ",
    "breakout-edge": "breakout ",
    "peering-location": "peering location ",
    "front-end": "front end ",
}


def label(text: str) -> str:
    """A quoted Mermaid label that shows ``text`` exactly, as text."""
    return '"' + "".join(c if c in _SAFE else f"#{ord(c)};" for c in text) + '"'


def _node_line(node_id: str, n: MapNode) -> str:
    opening, closing = _SHAPES.get(n.kind, ("[", "]"))
    text = _KIND_WORD.get(n.kind, "") + n.label
    if not n.up:
        text += " (down)"
    return f"{node_id}{opening}{label(text)}{closing}"


def render(pic: Picture) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(pic.nodes, 1)}
    lines = ["flowchart LR"]
    by_site: dict[str, list[MapNode]] = {}
    microsoft: list[MapNode] = []
    loose: list[MapNode] = []
    for n in pic.nodes:
        if n.site is not None:
            by_site.setdefault(n.site, []).append(n)
        elif n.kind in ("msee", "peering-location", "front-end", "microsoft"):
            microsoft.append(n)
        else:
            loose.append(n)
    for i, (site, members) in enumerate(by_site.items(), 1):
        lines.append(f"  subgraph s{i}[{label('site ' + site)}]")
        lines.extend(f"    {_node_line(ids[n.id], n)}" for n in members)
        lines.append("  end")
    if microsoft:
        lines.append(f"  subgraph ms[{label('Microsoft network')}]")
        lines.extend(f"    {_node_line(ids[n.id], n)}" for n in microsoft)
        lines.append("  end")
    lines.extend(f"  {_node_line(ids[n.id], n)}" for n in loose)
    links = 0
    styles: list[str] = []
    for a, b, kind, up, _title in pic.edges:
        if a not in ids or b not in ids:
            continue
        arrow = "-.-" if kind == "backbone" or not up else "---"
        lines.append(f"  {ids[a]} {arrow} {ids[b]}")
        if not up:
            styles.append(f"  linkStyle {links} stroke:{BAD_COLOUR},stroke-dasharray:3 3")
        links += 1
    failed: set[str] = set()
    for s in pic.strokes:
        colour = OK_COLOUR if s.status is Status.OK else BAD_COLOUR
        for j, style in enumerate(s.styles):
            a, b = s.points[j], s.points[j + 1]
            if a not in ids or b not in ids:
                continue
            arrow = "-.->" if style is not Style.WIRE else "==>"
            lines.append(f"  {ids[a]} {arrow} {ids[b]}")
            styles.append(f"  linkStyle {links} stroke:{colour},stroke-width:3px")
            links += 1
        if s.failed_at in ids:
            failed.add(ids[s.failed_at])
    lines.extend(styles)
    if failed:
        lines.append(f"  classDef failed stroke:{BAD_COLOUR},stroke-width:4px")
        lines.append(f"  class {','.join(sorted(failed))} failed")
    return "\n".join(lines) + "\n"
