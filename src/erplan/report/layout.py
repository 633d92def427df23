"""Geometry of the map: the projection, spots for glyphs that must not cover each other, labels
beside their glyphs. Knows points and boxes, not the design."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from erplan.latency import Point

WIDTH = 1200.0
MAX_HEIGHT = 720.0
MIN_HEIGHT = 420.0
MARGIN = 70.0  # room for labels at the edges
TOP = 40.0  # the corner badges
MIN_SPAN_LON = 24.0  # a one-city design still shows a region around it
MIN_SPAN_LAT = 12.0
FLATTEST = 0.45  # the least height / width the area shown may have


class Projection:
    """Equirectangular at the area's middle latitude, fitted to the canvas."""

    def __init__(self, points: Iterable[Point]) -> None:
        pts = list(points) or [Point(0.0, 0.0)]
        lat_lo, lat_hi = min(p.lat for p in pts), max(p.lat for p in pts)
        lon_lo, lon_hi = min(p.lon for p in pts), max(p.lon for p in pts)
        lat_pad = max((lat_hi - lat_lo) * 0.08, (MIN_SPAN_LAT - (lat_hi - lat_lo)) / 2, 0.0)
        lon_pad = max((lon_hi - lon_lo) * 0.08, (MIN_SPAN_LON - (lon_hi - lon_lo)) / 2, 0.0)
        # Room above and below: what stands at a site is drawn around it, and a flat strip
        # (two cities on one parallel) leaves none.
        cos_mid = max(math.cos(math.radians((lat_lo + lat_hi) / 2)), 0.2)
        want_lat = (lon_hi - lon_lo + 2 * lon_pad) * cos_mid * FLATTEST
        lat_pad = max(lat_pad, (want_lat - (lat_hi - lat_lo)) / 2)
        self.lat_lo, self.lat_hi = max(lat_lo - lat_pad, -85.0), min(lat_hi + lat_pad, 85.0)
        self.lon_lo, self.lon_hi = max(lon_lo - lon_pad, -180.0), min(lon_hi + lon_pad, 180.0)
        mid = math.radians((self.lat_lo + self.lat_hi) / 2)
        self.aspect = max(math.cos(mid), 0.2)
        span_x = (self.lon_hi - self.lon_lo) * self.aspect
        span_y = self.lat_hi - self.lat_lo
        inner_w = WIDTH - 2 * MARGIN
        self.scale = inner_w / span_x
        height = span_y * self.scale + 2 * MARGIN + TOP
        if height > MAX_HEIGHT:
            self.scale = (MAX_HEIGHT - 2 * MARGIN - TOP) / span_y
        self.height = min(max(span_y * self.scale + 2 * MARGIN + TOP, MIN_HEIGHT), MAX_HEIGHT)
        self.x0 = (WIDTH - span_x * self.scale) / 2
        self.y0 = TOP + (self.height - TOP - span_y * self.scale) / 2

    def __call__(self, p: Point) -> tuple[float, float]:
        x = self.x0 + (p.lon - self.lon_lo) * self.aspect * self.scale
        y = self.y0 + (self.lat_hi - p.lat) * self.scale
        return (round(x, 1), round(y, 1))

    def graticule(self) -> list[tuple[str, float, float, float, float]]:
        span = max(self.lon_hi - self.lon_lo, self.lat_hi - self.lat_lo)
        step = next(s for s in (5, 10, 15, 30, 45, 90) if span / s <= 8)
        lines: list[tuple[str, float, float, float, float]] = []
        lon = math.ceil(self.lon_lo / step) * step
        while lon <= self.lon_hi:
            x1, y1 = self(Point(self.lat_hi, lon))
            _, y2 = self(Point(self.lat_lo, lon))
            lines.append(
                (f"{abs(lon)}°{'E' if lon > 0 else 'W' if lon < 0 else ''}", x1, y1, x1, y2)
            )
            lon += step
        lat = math.ceil(self.lat_lo / step) * step
        while lat <= self.lat_hi:
            x1, y1 = self(Point(lat, self.lon_lo))
            x2, _ = self(Point(lat, self.lon_hi))
            lines.append(
                (f"{abs(lat)}°{'N' if lat > 0 else 'S' if lat < 0 else ''}", x1, y1, x2, y1)
            )
            lat += step
        return lines


@dataclass(frozen=True, slots=True)
class Room:
    """Clearances (px) around each glyph and its label: generous for a guide's few sites,
    tight for a thousand."""

    site: float
    location: float
    front_end: float
    ce: float
    ce_distance: float
    breakout: float
    breakout_distance: float

    @staticmethod
    def sparse() -> Room:
        return Room(30.0, 44.0, 32.0, 12.0, 50.0, 12.0, 44.0)

    @staticmethod
    def dense() -> Room:
        return Room(5.0, 12.0, 10.0, 5.0, 14.0, 5.0, 12.0)


class Placer:
    """Puts glyphs where they belong, or as near as possible without covering another."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.cell = 24.0
        self.grid: dict[tuple[int, int], list[tuple[float, float, float]]] = {}

    def _cells(self, x: float, y: float) -> tuple[int, int]:
        return (int(x // self.cell), int(y // self.cell))

    def free(self, x: float, y: float, r: float) -> bool:
        cx, cy = self._cells(x, y)
        span = int(r // self.cell) + 2
        for i in range(cx - span, cx + span + 1):
            for j in range(cy - span, cy + span + 1):
                for ox, oy, orad in self.grid.get((i, j), ()):
                    if math.hypot(ox - x, oy - y) < r + orad:
                        return False
        return True

    def take(self, x: float, y: float, r: float) -> None:
        self.grid.setdefault(self._cells(x, y), []).append((x, y, r))

    def near(
        self, x: float, y: float, r: float, toward: float = math.pi / 2, force: bool = False
    ) -> tuple[float, float]:
        """(x, y) when free, else the first free spot on rings around it (starting at the angle
        ``toward``, screen coordinates); ``force`` keeps (x, y) whatever it covers."""
        if force or self.free(x, y, r):
            self.take(x, y, r)
            return (x, y)
        for ring in range(1, 30):
            dist = ring * r * 0.6
            steps = 8 + 4 * ring
            for k in range(steps):
                turn = (k + 1) // 2 * (1 if k % 2 else -1)
                a = toward + turn * 2 * math.pi / steps
                px, py = x + dist * math.cos(a), y + dist * math.sin(a)
                if (
                    8 <= px <= self.width - 8
                    and TOP <= py <= self.height - 8
                    and self.free(px, py, r)
                ):
                    self.take(px, py, r)
                    return (round(px, 1), round(py, 1))
        self.take(x, y, r)
        return (x, y)


def toward(a: tuple[float, float], b: tuple[float, float], dist: float) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return (a[0] + dist, a[1])
    return (round(a[0] + dx / length * dist, 1), round(a[1] + dy / length * dist, 1))


def perpendicular(
    a: tuple[float, float], b: tuple[float, float], off: float
) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    return (-dy / length * off, dx / length * off)


class Labelled(Protocol):
    """A glyph with a label to place (``MapNode``)."""

    x: float
    y: float
    kind: str
    label: str
    labelled: bool
    label_at: tuple[float, float, str]


CHAR_PX = 6.6  # width of a character of the map's 11 px labels, about
# Where a label may go around its glyph: (dx, dy, anchor), first choice first.
_LABEL_SPOTS: tuple[tuple[float, float, str], ...] = (
    (12.0, -8.0, "start"),
    (12.0, 15.0, "start"),
    (-12.0, -8.0, "end"),
    (-12.0, 15.0, "end"),
    (0.0, -14.0, "middle"),
    (0.0, 24.0, "middle"),
)
_BELOW_FIRST = ("peering-location", "front-end")


def _label_box(n: Labelled, spot: tuple[float, float, str]) -> tuple[float, float, float, float]:
    dx, dy, anchor = spot
    width = len(n.label) * CHAR_PX
    x = n.x + dx - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    return (x, n.y + dy - 10.0, x + width, n.y + dy + 2.0)


def place_labels(nodes: Iterable[Labelled], width: float, height: float) -> None:
    """Each drawn label beside its glyph where it covers the fewest other labels and glyphs."""
    nodes = list(nodes)
    glyphs = [(n.x, n.y) for n in nodes if n.kind not in ("internet", "microsoft")]
    taken: list[tuple[float, float, float, float]] = []
    order = ("site", "peering-location", "front-end", "breakout-edge", "customer-edge")
    for kind in order:
        for n in nodes:
            if n.kind != kind or not n.labelled:
                continue
            spots = _LABEL_SPOTS
            if kind in _BELOW_FIRST:
                spots = ((0.0, 24.0, "middle"), (0.0, -16.0, "middle"), *_LABEL_SPOTS[:4])
            best: tuple[int, int] | None = None
            for i, spot in enumerate(spots):
                box = _label_box(n, spot)
                hits = sum(_overlap(box, t) for t in taken) * 3 + sum(
                    1
                    for gx, gy in glyphs
                    if box[0] - 4 <= gx <= box[2] + 4 and box[1] - 4 <= gy <= box[3] + 4
                )
                if box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height:
                    hits += 100
                if best is None or hits < best[0]:
                    best = (hits, i)
                if hits == 0:
                    break
            assert best is not None
            n.label_at = spots[best[1]]
            taken.append(_label_box(n, n.label_at))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
