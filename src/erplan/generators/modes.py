"""Which endpoint categories a PAC file may send DIRECT. Kept apart from the decisions so the
command line can offer the choice without importing the engine."""

from __future__ import annotations

from enum import StrEnum

CATEGORY_RANK = {"Optimize": 0, "Allow": 1, "Default": 2}


class Mode(StrEnum):
    """Which categories may go DIRECT (Microsoft's Get-PacFile Type 1 and Type 2, or all)."""

    OPTIMIZE = "optimize"
    ALLOW = "allow"
    ALL = "all"

    @property
    def categories(self) -> frozenset[str]:
        if self is Mode.OPTIMIZE:
            return frozenset({"Optimize"})
        if self is Mode.ALLOW:
            return frozenset({"Optimize", "Allow"})
        return frozenset(CATEGORY_RANK)
