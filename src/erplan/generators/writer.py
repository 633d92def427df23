"""The one place ``erplan generate`` touches the disk: every target checked first, then each file
written atomically. Nothing is written when any target is refused: a symbolic link, a device,
a FIFO or anything else that is not a regular file, a directory on the way that is a link or
not a directory, or a file that is an input of the run (the design, an endpoint download).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from erplan.generators.registry import Artifact
from erplan.output import write_atomic


class OutputRefused(Exception):
    """A target erplan will not write; the message names it and why."""


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check(root: Path, artifacts: Iterable[Artifact], inputs: Iterable[Path]) -> None:
    """Raise ``OutputRefused`` for the first target that must not be written."""
    given = [Path(p) for p in inputs]
    st = _lstat(root)
    if st is not None and not stat.S_ISDIR(os.stat(root).st_mode):
        raise OutputRefused(f"{root} is not a directory")
    for art in artifacts:
        rel = PurePosixPath(art.path)
        if rel.is_absolute() or ".." in rel.parts:  # generators never do this; make sure
            raise OutputRefused(f"{art.path} is not a path inside the output directory")
        here = root
        for part in rel.parts[:-1]:
            here = here / part
            sub = _lstat(here)
            if sub is not None and not stat.S_ISDIR(sub.st_mode):
                raise OutputRefused(f"{here} is not a directory (a link or a file)")
        target = root / Path(*rel.parts)
        tst = _lstat(target)
        if tst is not None and not stat.S_ISREG(tst.st_mode):
            raise OutputRefused(f"{target} is not a regular file (a link, device or FIFO)")
        if tst is not None and any(_same(target, p) for p in given):
            raise OutputRefused(f"{target} is an input of this run")


def _write_bytes(target: Path, data: bytes) -> None:
    """``write_atomic`` for binary content (the XLSX workbook): temporary file, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write(root: Path, artifacts: list[Artifact], inputs: Iterable[Path]) -> list[Path]:
    """Check every target, then write each atomically; returns the paths written."""
    inputs = list(inputs)
    check(root, artifacts, inputs)
    written = []
    for art in artifacts:
        target = root / Path(*PurePosixPath(art.path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Checked again just before the rename: nothing swapped in while others were written.
        check(root, [art], inputs)
        if isinstance(art.content, bytes):
            _write_bytes(target, art.content)
        else:
            write_atomic(target, art.content)
        written.append(target)
    return written
