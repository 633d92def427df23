"""Routed stretches between routers (engine/segments.py)."""
