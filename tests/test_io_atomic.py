"""Atomic outputs: a writer that fails or is killed leaves the old target whole; leftovers go."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from epibench.io.atomic import atomic_dir, atomic_path


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "table.tsv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer failed")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.tsv"]


def test_a_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "shard"
    target.mkdir()
    (target / "stale.npy").write_text("x")
    with atomic_dir(target) as tmp:
        (tmp / "new.npy").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["new.npy"]


def test_sigkill_mid_write_leaves_the_old_file_and_the_next_writer_clears_the_leftover(tmp_path):
    target = tmp_path / "calls.parquet"
    target.write_text("old")
    writer = textwrap.dedent(f"""
        import os, signal
        from epibench.io.atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.write_text("partial")
            os.kill(os.getpid(), signal.SIGKILL)
        """)
    done = subprocess.run([sys.executable, "-c", writer])
    assert done.returncode == -signal.SIGKILL
    assert target.read_text() == "old"
    leftovers = list(tmp_path.glob(".calls.tmp-*.parquet"))
    assert len(leftovers) == 1 and leftovers[0].read_text() == "partial"

    other = tmp_path / "other.parquet"  # another target's temporary name is not touched
    other_tmp = tmp_path / ".other.tmp-abc.parquet"
    other_tmp.write_text("busy")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert not leftovers[0].exists() and other_tmp.exists() and not other.exists()


def test_a_killed_folder_writer_leaves_a_leftover_the_next_one_removes(tmp_path):
    target = tmp_path / "shard"
    stale = tmp_path / ".shard.tmp-dead"
    stale.mkdir()
    (stale / "half.npy").write_text("x")
    with atomic_dir(target) as tmp:
        (tmp / "a.npy").write_text("y")
    assert not stale.exists() and (target / "a.npy").exists()


@pytest.fixture
def full_disk(tmp_path):
    """A 200-kB tmpfs (mounting needs root: skipped elsewhere; CI runs as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_stops_with_a_message_and_leaves_no_partial_output(full_disk):
    from pathlib import Path

    exe = Path(sys.executable).parent / "epibench"
    out = full_disk / "demo"
    done = subprocess.run(
        [str(exe), "demo-data", "--out", str(out), "--chrom-lengths", "100000,100000"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written and not [name for name in written if ".tmp-" in name], written
    # what was published is whole: the FASTA (written first) holds both chromosomes in full
    fasta = (out / "genome.fa").read_text().split(">")[1:]
    assert [len("".join(record.splitlines()[1:])) for record in fasta] == [100_000, 100_000]


def test_an_output_is_readable_by_others_however_its_writer_made_it(tmp_path):
    """A writer that makes the file anew with mode 0600 (as safetensors' save_file does): the output
    gets the umask's permissions all the same, so collaborators on a shared cluster can read it."""
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "model.safetensors") as tmp:
            tmp.unlink()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"weights")
            os.close(fd)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.safetensors").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "writer, name",
    [
        ("torch.save", "checkpoint.pt"),
        ("safetensors", "model.safetensors"),
        ("np.save", "x.npy"),
        ("parquet", "t.parquet"),
    ],
)
def test_a_full_disk_names_the_output_whatever_error_the_writer_raised(full_disk, writer, name):
    """torch.save, safetensors and np.save hide ENOSPC (a RuntimeError, a SafetensorError, an OSError
    without errno): the write still stops with an OSError ENOSPC naming the output, which the CLI prints
    as `error: No space left on device writing <output>: free space and rerun`, and leaves nothing."""
    import errno
    import gc

    import numpy as np
    import pandas as pd

    values = np.random.default_rng(0).random(100_000)  # 800 kB: more than the 200-kB disk holds
    target = full_disk / "models" / name
    with pytest.raises(OSError) as caught:
        with atomic_path(target) as tmp:
            if writer == "torch.save":
                import torch

                torch.save({"w": torch.from_numpy(values)}, tmp)
            elif writer == "safetensors":
                from safetensors.numpy import save_file

                save_file({"w": values}, str(tmp))
            elif writer == "np.save":
                np.save(tmp, values, allow_pickle=False)
            else:
                pd.DataFrame({"x": values}).to_parquet(tmp)
    code, filename = caught.value.errno, caught.value.filename
    del caught  # its traceback holds torch's writer, whose open file would keep the disk busy
    gc.collect()
    assert code == errno.ENOSPC and filename == str(target)
    assert list((full_disk / "models").iterdir()) == []


def test_a_writer_hiding_a_full_quota_is_found_out_by_a_write_beside_it(full_disk, monkeypatch):
    """A quota spent leaves the file system's free space large, so only a small write beside the failed
    one (synced) can tell: with the free-space test off, torch.save's RuntimeError on the full tmpfs
    is still named ENOSPC; a writer's own error, with room left, stays what it was."""
    import errno
    import gc

    import numpy as np
    import torch

    from epibench.io import atomic

    monkeypatch.setattr(atomic, "FULL_BELOW_BYTES", 0)
    with pytest.raises(RuntimeError, match="not a disk problem"):
        with atomic_path(full_disk / "small.pt"):
            raise RuntimeError("not a disk problem")
    values = torch.from_numpy(np.random.default_rng(1).random(100_000))
    with pytest.raises(OSError) as caught:
        with atomic_path(full_disk / "checkpoint.pt") as tmp:
            torch.save({"w": values}, tmp)
    named = caught.value.errno, caught.value.filename, type(caught.value.__cause__)
    del caught  # its traceback holds torch's writer, whose open file would keep the disk busy
    gc.collect()
    assert named == (errno.ENOSPC, str(full_disk / "checkpoint.pt"), RuntimeError)


def test_a_bad_input_on_a_full_disk_keeps_its_own_message(full_disk):
    from epibench.errors import InputError

    (full_disk / "filler").write_bytes(b"x" * 180_000)
    with pytest.raises(InputError, match="line 3"):
        with atomic_path(full_disk / "out.tsv"):
            raise InputError("bad value", path="calls.tsv", line=3)
