"""Running the command line in the test process, as the console script runs it."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from erplan.cli import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str | None = None,
) -> Run:
    """``erplan ARGS`` through ``main()``: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return Run(code if isinstance(code, int) else 0 if code is None else 1, out, err)
