"""Tables from the planning analyses (meet-me, failures, bandwidth, connection properties,
security placement), shown in the report when those analyses exist.

The hook: a module named in :data:`PLANNING_HOOKS` that defines ``report_tables(loaded,
catalogs, report)`` returning tables (anything with ``title``, ``head``, ``body`` and ``notes``,
as ``erplan.tables.Table``) contributes them, in that order. A module that does not exist or
has no such function contributes nothing. Every cell is text and is escaped like any other name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from erplan.analyses.verdicts import Report
from erplan.catalogs import Catalogs

# (module, function): the planning analyses that may fill a section of the report.
PLANNING_HOOKS: tuple[tuple[str, str], ...] = (
    ("erplan.analyses.meetme", "report_tables"),
    ("erplan.analyses.failures", "report_tables"),
    ("erplan.analyses.bandwidth", "report_tables"),
    ("erplan.analyses.properties", "report_tables"),
    ("erplan.security_text", "report_tables"),
)


class TableLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def head(self) -> Sequence[str]: ...
    @property
    def body(self) -> Sequence[Sequence[str]]: ...
    @property
    def notes(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Section:
    """A table as the report shows it: every cell already text."""

    id: str
    title: str
    head: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]


def as_sections(tables: Iterable[TableLike]) -> list[Section]:
    return [
        Section(
            f"plan-{i}",
            str(t.title),
            tuple(str(h) for h in t.head),
            tuple(tuple(str(c) for c in row) for row in t.body),
            tuple(str(n) for n in t.notes),
        )
        for i, t in enumerate(tables, 1)
    ]


def _hook(module: str, name: str) -> Callable[..., Iterable[TableLike]] | None:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None  # that analysis is not part of this erplan
        raise
    fn: Any = getattr(found, name, None)
    return fn if callable(fn) else None


def planning_sections(loaded: Any, catalogs: Catalogs, report: Report) -> list[Section]:
    """Every table the installed planning analyses offer for this design."""
    tables: list[TableLike] = []
    for module, name in PLANNING_HOOKS:
        fn = _hook(module, name)
        if fn is not None:
            tables.extend(fn(loaded, catalogs, report))
    return as_sections(tables)
