"""Files in and files out, treated as carefully as their contents.

In: :func:`read_bounded` reads at most a limit of bytes from a regular file or from standard
input (``-``), refuses a directory, FIFO, device or socket at once (a FIFO without a writer
would hang the read), and :func:`decode_utf8` turns the bytes into text or says which byte is
wrong. Designs and endpoint downloads both come through here.

Out: :func:`write_atomic` is the only writer. It never replaces anything but a regular file
(a symlink, FIFO or device node given as ``-o`` is refused, not turned into a file), never
writes over an input of the same run, and writes through a temporary file in the target's
directory that is renamed over the target: a reader never sees half a file and a failure leaves
the old one. Temporaries carry the writer's process id, are removed on SIGTERM, SIGHUP and
SIGINT, and a later write removes those of dead processes (SIGKILL cannot be caught).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

__all__ = [
    "STDIN",
    "DecodeRefused",
    "OutputRefused",
    "ReadRefused",
    "check_output",
    "decode_utf8",
    "display_name",
    "line_col",
    "read_bounded",
    "remove_stale_temporaries",
    "write_atomic",
    "write_atomic_chunks",
]

STDIN = "-"
STDIN_NAME = "<stdin>"
TEMP_MARK = ".erplan-tmp-"  # ".{target}.erplan-tmp-{pid}-{random}"
STALE_AFTER_S = 24 * 3600  # a temporary this old is stale even if its pid was reused

_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
    (stat.S_ISLNK, "is a symbolic link"),
)


def _kind(mode: int) -> str:
    for test, what in _KINDS:
        if test(mode):
            return what
    return "is not a regular file"


# -- reading ------------------------------------------------------------------------------------


class ReadRefused(Exception):
    """A file that cannot be read: ``reason`` completes "FILE ..."; ``size`` when too large."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


def display_name(path: str | os.PathLike[str]) -> str:
    """How messages name an input: ``<stdin>`` for ``-``."""
    return STDIN_NAME if str(path) == STDIN else str(path)


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of ``path`` (``-``: standard input), at most ``limit`` of them.

    Raises :class:`ReadRefused` for a missing or unreadable file, anything but a regular file,
    and a file larger than ``limit`` (checked before reading a byte when the size is known).
    """
    if str(path) == STDIN:
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise ReadRefused("is larger than the limit", size=len(data))
        return data
    try:
        # O_NONBLOCK: opening a FIFO that nobody writes to returns at once instead of hanging.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ReadRefused(f"cannot be read: {(exc.strerror or str(exc)).lower()}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(_kind(st.st_mode))
        if st.st_size > limit:
            raise ReadRefused("is larger than the limit", size=st.st_size)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        os.set_blocking(fd, True)
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise ReadRefused(f"cannot be read: {(exc.strerror or str(exc)).lower()}") from None
    if len(data) > limit:  # grew while we looked
        raise ReadRefused("is larger than the limit", size=len(data))
    return data


class DecodeRefused(Exception):
    """Bytes that are not UTF-8 text: what is wrong and the 1-based line and column."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def line_col(data: str | bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in text or bytes (columns count characters of
    text, bytes of bytes)."""
    if isinstance(data, bytes):
        return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return data.count("\n", 0, offset) + 1, offset - (data.rfind("\n", 0, offset) + 1) + 1


def decode_utf8(raw: bytes) -> str:
    """UTF-8 bytes as text (a byte-order mark is dropped); :class:`DecodeRefused` at the first
    NUL byte or invalid sequence, with its position."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DecodeRefused("NUL byte", *line_col(raw, nul))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeRefused(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})", *line_col(raw, exc.start)
        ) from None


# -- writing ------------------------------------------------------------------------------------


class OutputRefused(Exception):
    """An output path erplan will not write: ``reason`` completes "cannot write FILE: ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(
    path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Refuse an output path that is not (or not to be) a regular file, or that is an input.

    Run it before any work, so that a refused ``-o`` costs nothing and writes nothing.
    """
    target = Path(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputRefused((exc.strerror or str(exc)).lower()) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputRefused(
            f"it {_kind(st.st_mode)}; erplan replaces only regular files (redirect standard "
            "output to write elsewhere)"
        )
    for given in inputs:
        if str(given) != STDIN and _same_file(target, Path(given)):
            raise OutputRefused("it is an input of this command; choose another output file")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputRefused(f"the directory {parent} does not exist")


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries an interrupted writer of ``target`` left (its process is gone, or
    the file is older than a day). Returns what was removed."""
    path = Path(target)
    directory = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}{TEMP_MARK}"
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        stale = not pid_text.isdigit() or not _pid_alive(int(pid_text))
        if stale or now - st.st_mtime > STALE_AFTER_S:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


class _Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signum)


_CAUGHT = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """While writing, a terminating signal raises, so the temporary is removed; afterwards the
    signal is delivered again with its previous handling (the process still dies of it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Interrupted(signum)

    # A signal the caller ignores stays ignored: the write goes on.
    previous = {
        s: signal.signal(s, handler) for s in _CAUGHT if signal.getsignal(s) is not signal.SIG_IGN
    }
    try:
        yield
    except _Interrupted as exc:
        for s, h in previous.items():
            signal.signal(s, h)
        previous = {}
        signal.raise_signal(exc.signum)
        raise SystemExit(128 + exc.signum) from None  # the previous handler returned
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def write_atomic(
    path: str | os.PathLike[str],
    text: str,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, after :func:`check_output`.

    The permissions of a file being replaced are kept; a new file gets 0666 minus the umask.
    On any failure (or a terminating signal) the target is untouched and no temporary stays.
    Raises :class:`OutputRefused` for a path it will not write, OSError when writing fails.
    """
    inputs = list(inputs)  # checked twice: before encoding and again by the writer
    check_output(path, inputs)
    data = text.encode("utf-8")  # before anything touches the disk: a bad text writes nothing
    write_atomic_chunks(path, (data,), inputs=inputs)


def write_atomic_chunks(
    path: str | os.PathLike[str],
    chunks: Iterable[bytes],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """:func:`write_atomic` for output made piece by piece (a large report need not be held
    whole): the pieces go to the temporary as they come; an exception while they are made
    leaves the target untouched and no temporary, as any other failure does."""
    inputs = list(inputs)  # checked before and after the write
    check_output(path, inputs)
    target = Path(path)
    remove_stale_temporaries(target)
    tmp = _temp_name(target)
    with _signals_raise():
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                for data in chunks:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                mode = os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            check_output(target, inputs)  # unchanged while we wrote (no symlink swapped in)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
