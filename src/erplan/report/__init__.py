"""The report people look at and the diagrams they keep.

- :func:`render_report`: one self-contained HTML file: summary, findings, problem flows, a map of
  the design with any flow's paths drawn on it, and the planning tables where they exist;
- :func:`render_diagram`: the same map as draw.io, Mermaid, SVG or Graphviz DOT, optionally with
  one flow's paths.
"""

from erplan.report.diagrams import DiagramFormat, render_diagram
from erplan.report.html import render_report
from erplan.report.sections import PLANNING_HOOKS, Section, as_sections, planning_sections

__all__ = [
    "PLANNING_HOOKS",
    "DiagramFormat",
    "Section",
    "as_sections",
    "planning_sections",
    "render_diagram",
    "render_report",
]
