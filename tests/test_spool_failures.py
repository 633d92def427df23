"""The JSON report's spool when its temporary file fails (no usable directory, a full disk, a
read error) or the run is cut short: one line and the output-failure exit code, nothing
written to ``-o``, and the temporary file closed (its space freed) on every way out."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pytest

from _cli import run
from erplan import output
from erplan.analyses import verdicts
from erplan.output import Spool, SpoolFailed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "g000-fig04-single-us-circuit.yaml")


class _Failing:
    """A temporary file whose writes (or reads) fail as a full disk (or a bad disk) fails."""

    def __init__(self, real: IO[bytes], fail: str) -> None:
        self.real = real
        self.fail = fail

    def write(self, data: bytes) -> int:
        if self.fail == "write":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def read(self, size: int = -1) -> bytes:
        if self.fail == "read":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return self.real.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> _Failing:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.real.close()


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[IO[bytes]]:
    """Every temporary file a spool makes (real ones), and a limit small enough that the
    example's rows go to one."""
    files: list[IO[bytes]] = []
    real = tempfile.TemporaryFile

    def record(*args: Any, **kwargs: Any) -> IO[bytes]:
        f: IO[bytes] = real(*args, **kwargs)
        files.append(f)
        return f

    monkeypatch.setattr(tempfile, "TemporaryFile", record)
    monkeypatch.setattr(output, "_INDENT_LIMIT", 1_000)
    return files


def _failing(monkeypatch: pytest.MonkeyPatch, made: list[IO[bytes]], fail: str) -> None:
    made_by = tempfile.TemporaryFile

    def failing(*args: Any, **kwargs: Any) -> Any:
        return _Failing(made_by(*args, **kwargs), fail)

    monkeypatch.setattr(tempfile, "TemporaryFile", failing)


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"key": f"out/site-{i}", "share": i / 7} for i in range(n)]


def test_the_example_is_spooled_to_a_file(
    made: list[IO[bytes]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The premise of the tests below: the rows go to a temporary file, closed once written."""
    result = run(["verify", EXAMPLE, "-f", "json"], capsys, monkeypatch)
    assert result.code in (0, 1) and result.out.endswith("]}\n")
    assert len(made) == 1 and made[0].closed


@pytest.mark.parametrize("stop", [RuntimeError("boom"), KeyboardInterrupt()])
def test_the_file_is_closed_whatever_ends_the_spool(
    made: list[IO[bytes]], stop: BaseException
) -> None:
    with pytest.raises(type(stop)), Spool() as spool:
        for row in _rows(200):
            spool.add(row)
        assert len(made) == 1 and not made[0].closed
        raise stop
    assert made[0].closed


def test_a_spool_without_a_usable_directory_says_so(
    made: list[IO[bytes]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    spool = Spool()
    with pytest.raises(SpoolFailed, match="temporary file: no such file or directory"):
        for row in _rows(200):
            spool.add(row)


def test_a_full_disk_closes_the_file(
    made: list[IO[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing(monkeypatch, made, "write")
    spool = Spool()
    with pytest.raises(SpoolFailed, match="temporary file: no space left on device"):
        for row in _rows(200):
            spool.add(row)
    assert len(made) == 1 and made[0].closed


@pytest.mark.parametrize(
    ("fail", "why"),
    [("dir", "no such file or directory"), ("write", "no space left on device")],
)
def test_verify_to_stdout_fails_as_an_output_failure(
    made: list[IO[bytes]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fail: str,
    why: str,
) -> None:
    if fail == "dir":
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    else:
        _failing(monkeypatch, made, fail)
    result = run(["verify", EXAMPLE, "-f", "json"], capsys, monkeypatch)
    assert result.code == 3
    assert result.err == f"erplan: cannot write standard output: temporary file: {why}\n"
    assert result.out == ""  # the rows fail while judged: before anything is written
    assert all(f.closed for f in made)


@pytest.mark.parametrize(
    ("fail", "why"),
    [
        ("dir", "no such file or directory"),
        ("write", "no space left on device"),
        ("read", "input/output error"),
    ],
)
@pytest.mark.parametrize("existing", [False, True])
def test_verify_to_a_file_writes_nothing(
    made: list[IO[bytes]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fail: str,
    why: str,
    existing: bool,
) -> None:
    """A failure while the rows are spooled, or while they are read back into ``-o``: exit 2
    as any unwritable ``-o``, the target as it was, no partial file beside it."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "report.json"
    if existing:
        target.write_text("old\n")
    if fail == "dir":
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    else:
        _failing(monkeypatch, made, fail)
    result = run(["verify", EXAMPLE, "-f", "json", "-o", str(target)], capsys, monkeypatch)
    assert result.code == 2
    assert result.err == f"erplan: cannot write {target}: temporary file: {why}\n"
    assert result.out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == (["report.json"] if existing else [])
    if existing:
        assert target.read_text() == "old\n"
    assert all(f.closed for f in made)


def test_an_interrupted_verify_closes_the_file(
    made: list[IO[bytes]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the rows are judged, once some are in the temporary file."""
    real = verdicts.verify

    def interrupted(*args: Any, each: Any, **kwargs: Any) -> Any:
        def then_stop(r: verdicts.FlowResult) -> None:
            each(r)
            if made:
                raise KeyboardInterrupt

        return real(*args, each=then_stop, **kwargs)

    monkeypatch.setattr(verdicts, "verify", interrupted)
    result = run(["verify", EXAMPLE, "-f", "json"], capsys, monkeypatch)
    assert (result.code, result.out) == (130, "")  # interrupted: 128 + SIGINT, nothing written
    assert len(made) == 1 and made[0].closed
