"""Outputs are safe to point anywhere; inputs are read without hanging or growing unbounded.

-o never replaces a symlink, FIFO or device with a regular file, never writes over an input,
writes atomically and leaves no temporary behind (signals clean up; a later write removes
what SIGKILL left). A FIFO or device as input is refused at once. A failing stdout is exit 3
with one line, never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from _cli import run
from erplan.files import (
    TEMP_MARK,
    OutputRefused,
    ReadRefused,
    read_bounded,
    remove_stale_temporaries,
    write_atomic,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "g000-fig17-per-circuit-pools.yaml"
ERPLAN = Path(sys.executable).parent / "erplan"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- the writer ---------------------------------------------------------------------------------
def test_a_symlink_is_refused_and_left_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "report.txt"
    link.symlink_to(victim)
    with pytest.raises(OutputRefused, match="symbolic link"):
        write_atomic(link, "report")
    assert link.is_symlink() and victim.read_text() == "precious"


def test_a_fifo_and_a_device_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefused, match="FIFO"):
        write_atomic(fifo, "report")
    assert fifo.is_fifo()
    with pytest.raises(OutputRefused, match="character device"):
        write_atomic("/dev/null", "report")
    assert Path("/dev/null").is_char_device()


def test_an_input_is_never_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    design = tmp_path / "design.yaml"
    design.write_text("original")
    monkeypatch.chdir(tmp_path)
    for spelled in ("design.yaml", "./design.yaml", str(design)):
        with pytest.raises(OutputRefused, match="input"):
            write_atomic(spelled, "report", inputs=[design])
    hard = tmp_path / "alias.yaml"
    os.link(design, hard)
    with pytest.raises(OutputRefused, match="input"):
        write_atomic(hard, "report", inputs=["design.yaml"])
    assert design.read_text() == "original"


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    stale = tmp_path / f".report.txt{TEMP_MARK}{_dead_pid()}-0000"
    stale.write_text("half")
    mine = tmp_path / f".report.txt{TEMP_MARK}{os.getpid()}-0000"  # a live writer's
    mine.write_text("busy")
    other = tmp_path / ".other.txt.erplan-tmp-1-0000"  # another target's: not ours to judge
    other.write_text("x")
    write_atomic(target, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["report.txt", mine.name, other.name]
    )
    old = time.time() - 2 * 24 * 3600
    os.utime(mine, (old, old))
    assert remove_stale_temporaries(target) == [mine]


# A writer started from a foreground shell: neither Ctrl-C nor a hang-up is ignored (a job
# started in the background of a non-interactive shell inherits SIGINT ignored, one under nohup
# SIGHUP, and an ignored signal must stay ignored - that is not what this test is about).
_SLOW_WRITER = textwrap.dedent(
    """
    import os, signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    from erplan import files
    real = os.fsync
    def slow(fd):
        print("writing", flush=True)
        time.sleep(30)
        real(fd)
    files.os.fsync = slow
    files.write_atomic(sys.argv[1], "new content")
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_the_write_leaves_no_temporary(tmp_path: Path, sig: int) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    child.send_signal(sig)
    assert child.wait(timeout=10) != 0
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert target.read_text() == "old"


def test_a_signal_the_caller_ignores_stays_ignored(tmp_path: Path) -> None:
    """Started under nohup, a hang-up must not stop the write: it completes, and the process
    lives on to exit 0."""
    target = tmp_path / "report.txt"
    target.write_text("old")
    writer = _SLOW_WRITER.replace("signal.SIG_DFL", "signal.SIG_IGN").replace(
        "sleep(30)", "sleep(1)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", writer, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGHUP)
    assert child.wait(timeout=10) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert target.read_text() == "new content"


def test_after_sigkill_the_next_write_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    child.kill()
    child.wait(timeout=10)
    left = [p.name for p in tmp_path.iterdir() if p.name != "report.txt"]
    assert len(left) == 1 and TEMP_MARK in left[0]  # SIGKILL cannot be caught...
    write_atomic(target, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # ...the next run cleans up
    assert target.read_text() == "new"


# -- the reader ---------------------------------------------------------------------------------
def test_special_files_are_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: a blocking open would hang forever
    start = time.monotonic()
    with pytest.raises(ReadRefused, match="FIFO"):
        read_bounded(fifo, 100)
    with pytest.raises(ReadRefused, match="character device"):
        read_bounded("/dev/zero", 100)  # endless: must not be read at all
    with pytest.raises(ReadRefused, match="directory"):
        read_bounded(tmp_path, 100)
    assert time.monotonic() - start < 1


def test_a_fifo_as_design_or_endpoints_is_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run(["validate", str(fifo)], capsys, monkeypatch)
    assert result.code == 2 and f"{fifo}:1:1: " in result.err and "FIFO" in result.err
    result = run(["lint", str(EXAMPLE), "--endpoints", str(fifo)], capsys, monkeypatch)
    assert result.code == 2 and "ERP090" in result.err and "FIFO" in result.err


def test_a_design_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    result = run(["validate", "-"], capsys, monkeypatch, stdin=text)
    assert (result.code, result.out) == (0, "<stdin>: valid (2 sites, 2 circuits, 0 services)\n")
    result = run(["lint", "-", "-f", "json"], capsys, monkeypatch, stdin=text)
    assert result.code == 0 and '"file": "<stdin>"' in result.out
    result = run(["validate", "-"], capsys, monkeypatch, stdin="erplan: 1\nsites: [\n")
    assert result.code == 2 and result.err.startswith("<stdin>:")


# -- the command line ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["lint", "verify", "validate", "trace"])
def test_o_refuses_devices_and_inputs_before_any_work(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = ["--from", "us", "--to", "outlook.office365.com"] if command == "trace" else []
    for target, why in (("/dev/null", "character device"), (str(EXAMPLE), "input")):
        result = run([command, str(EXAMPLE), *extra, "-o", target], capsys, monkeypatch)
        assert result.code == 2 and why in result.err and result.out == ""
    assert Path("/dev/null").is_char_device()


def test_a_full_disk_on_stdout_is_exit_3_with_one_line() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(ERPLAN), "lint", str(EXAMPLE)], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 3
    assert done.stderr == "erplan: cannot write standard output: no space left on device\n"


@pytest.mark.parametrize("args", [["rules"], ["verify", str(EXAMPLE), "-f", "json"], ["--help"]])
def test_a_closed_pipe_is_exit_3_with_one_line(args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([str(ERPLAN), *args], stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert done.returncode == 3
    assert done.stderr == "erplan: cannot write standard output: broken pipe\n"
