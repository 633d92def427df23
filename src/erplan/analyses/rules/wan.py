"""The WAN as the rules read it: which sites the links that are up join, defined once."""

from __future__ import annotations

from collections.abc import Callable

from erplan.model import Design, WanLink


def wan_adjacency(
    design: Design, weight: Callable[[WanLink], float] | None = None
) -> dict[str, list[tuple[str, float]]]:
    """Every site with its neighbours over the WAN links that are up, each with the link's
    ``weight`` (1 without one). A link naming something that is not a site joins nothing."""
    graph: dict[str, list[tuple[str, float]]] = {name: [] for name in design.sites}
    for link in design.wan:
        a, b = link.between
        if not link.up or a not in graph or b not in graph:
            continue
        w = weight(link) if weight is not None else 1.0
        graph[a].append((b, w))
        graph[b].append((a, w))
    return graph
