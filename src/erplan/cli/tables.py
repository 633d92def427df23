"""The planning tables written through the options every command shares (``--format``,
``--output``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from erplan.cli import common
from erplan.tables import Table, render_table


def emit_tables(
    fmt: common.Format,
    data: object,
    tables: list[Table],
    output: Path | None,
    inputs: Iterable[Path | str | None],
) -> None:
    """JSON of ``data``, or the tables in ``fmt``; printed, or written atomically to ``output``."""
    if fmt is common.Format.JSON:
        from erplan.output import dumps

        text = dumps(data)
    else:
        text = "\n".join(render_table(t, fmt.value) for t in tables)
    common.emit(text, fmt, output, inputs)
