"""The NAT sizing rule's shortest paths (heapq Dijkstra) against a brute force on random
undirected graphs: same distances, same reachability."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from erplan.analyses.rules.nat import _distances


def _bellman_ford(n: int, edges: list[tuple[int, int, float]], source: int) -> list[float]:
    dist = [math.inf] * n
    dist[source] = 0.0
    for _ in range(n):
        for a, b, w in edges:
            for u, v in ((a, b), (b, a)):
                if dist[u] + w < dist[v]:
                    dist[v] = dist[u] + w
    return dist


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    n = draw(st.integers(1, 9))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.floats(0, 100, allow_nan=False).map(lambda w: round(w, 1)),
            ),
            max_size=20,
        )
    )
    return n, [(a, b, w) for a, b, w in edges if a != b]


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_distances_match_a_brute_force(graph: tuple[int, list[tuple[int, int, float]]]) -> None:
    n, edges = graph
    adjacency: dict[str, list[tuple[str, float]]] = {str(i): [] for i in range(n)}
    for a, b, w in edges:
        adjacency[str(a)].append((str(b), w))
        adjacency[str(b)].append((str(a), w))
    for source in range(n):
        want = _bellman_ford(n, edges, source)
        got = _distances(adjacency, str(source))
        assert set(got) == {str(i) for i, d in enumerate(want) if d < math.inf}
        for node, d in got.items():
            assert math.isclose(d, want[int(node)], abs_tol=1e-9)
