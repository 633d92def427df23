"""The report people look at and the diagrams they keep.

- :func:`render_report`: one self-contained HTML file: summary, findings, problem flows, a map of
  the design with any flow's paths drawn on it, and the planning tables where they exist;
- :func:`render_diagram`: the same map as draw.io, Mermaid, SVG or Graphviz DOT, optionally with
  one flow's paths.

The names are imported when first asked for: ``erplan verify`` reads ``report.problems`` alone
and need not load the HTML templates and diagram renderers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erplan.report.diagrams import DiagramFormat, render_diagram
    from erplan.report.html import render_report
    from erplan.report.sections import (
        PLANNING_HOOKS,
        Section,
        as_sections,
        planning_sections,
    )

_WHERE = {
    "PLANNING_HOOKS": "erplan.report.sections",
    "DiagramFormat": "erplan.report.diagrams",
    "Section": "erplan.report.sections",
    "as_sections": "erplan.report.sections",
    "planning_sections": "erplan.report.sections",
    "render_diagram": "erplan.report.diagrams",
    "render_report": "erplan.report.html",
}

__all__ = [
    "PLANNING_HOOKS",
    "DiagramFormat",
    "Section",
    "as_sections",
    "planning_sections",
    "render_diagram",
    "render_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
