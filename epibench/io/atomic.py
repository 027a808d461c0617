"""Atomic outputs: write to a temporary name beside the target, then rename.

A killed job therefore leaves either the complete old file, the complete new
file, or a stray ``.tmp-*`` name, never a half-written output under the real name.
The next writer of the same target removes such leftovers before it starts (one job
writes a target at a time: Snakemake's lock sees to that).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from epibench.errors import InputError


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_leftovers(parent: Path, pattern: str, folders: bool) -> None:
    """Delete the temporary names (glob ``pattern`` in ``parent``; files, or folders) a killed writer left."""
    for leftover in parent.glob(pattern):
        if folders and leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        elif not folders and leftover.is_file():
            leftover.unlink(missing_ok=True)


# a write that fails with less room than this left on its file system failed for want of room
FULL_BELOW_BYTES = 1 << 20
# bytes written (and synced) beside a failed write to learn whether its disk or quota is full
PROBE_BYTES = 1 << 16


class DiskFullError(OSError):
    """A write that failed for want of room, naming the output it was writing."""


_FULL = (errno.ENOSPC, errno.EDQUOT)


def _probe_errno(folder: Path) -> int | None:
    """ENOSPC or EDQUOT when ``PROBE_BYTES`` cannot be written and synced into ``folder`` (a full disk,
    or a user's quota spent: the free space a file system reports does not show a quota); else None."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0" * PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as err:
        return err.errno if err.errno in _FULL else None
    return None


def _disk_full(err: Exception, folder: Path) -> int | None:
    """The errno (ENOSPC or EDQUOT) when ``err``, raised while writing into ``folder``, comes from a
    full disk or quota: the error's own errno, or, for a writer that hides it (torch.save raises a
    RuntimeError, safetensors a SafetensorError, np.save a bare OSError), a file system with (almost) no
    room left or a small write beside it failing for want of room (``_probe_errno``); None otherwise."""
    if isinstance(err, (DiskFullError, InputError)):
        return None  # named already (by a write nested in this one), or a bad input's own message
    if isinstance(err, OSError) and err.errno in _FULL:
        return err.errno
    if "Disk quota exceeded" in str(err):
        return errno.EDQUOT
    try:
        full = shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return None
    if full or "No space left on device" in str(err):
        return errno.ENOSPC
    return _probe_errno(folder)


@contextmanager
def _naming_a_full_disk(target: Path) -> Iterator[None]:
    """Re-raise a write's failure for want of room as an OSError naming ``target`` (the CLI prints it,
    without a traceback, with what to do), whatever error the writer raised."""
    try:
        yield
    except Exception as err:
        code = _disk_full(err, target.parent)
        if code is None:
            raise
        raise DiskFullError(code, os.strerror(code), str(target)) from err


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file path in ``target``'s folder; rename it to ``target`` on success.

    The suffix is kept (``x.parquet`` -> ``.x.tmp-XXXX.parquet``) so writers that
    infer a format from the suffix still work. The file gets the permissions a new file of the
    process gets (0644 under umask 022), whatever the writer did. On error the temporary file is
    removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target.parent, f".{target.stem}.tmp-*{target.suffix}", folders=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    mode = 0o666 & ~_umask()
    tmp.chmod(mode)
    try:
        with _naming_a_full_disk(target):
            yield tmp
            tmp.chmod(mode)  # a writer may have made the file anew, private (safetensors does)
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; replace ``target`` with it on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target.parent, f".{target.name}.tmp-*", folders=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        with _naming_a_full_disk(target):
            yield tmp
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_tsv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` as tab-separated text with a header, no index, missing values as
    ``NaN``, atomically (gzip when ``path`` ends in .gz)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, na_rep="NaN")
