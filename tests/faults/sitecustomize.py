"""Test-only fault injection (tests/test_crash_safety.py), loaded by every Python process that
has this folder on PYTHONPATH.

EPIBENCH_KILL="<subcommand>:<n>:<marker file>": the ``epibench <subcommand>`` process kills itself
with SIGKILL just before its n-th ``os.replace`` (the rename that publishes an atomic output), so
n - 1 outputs are published and the n-th is complete under its temporary name.
EPIBENCH_KILL_WHOM says who is killed: ``job`` (the default) that process; ``session`` every
process of its session (the test starts Snakemake in a session of its own): Snakemake and every
job, as a node failure would; ``snakemake`` the session's leader, Snakemake, alone (``kill -9`` of
Snakemake): the job goes on, publishes its outputs and, on exit, creates ``<marker file>.exited``.
It fires once: the marker file is created first (exclusively) and holds the killed command line;
a process that finds it there runs normally.
"""

import atexit
import os
import signal
import sys


def _kill_session() -> None:
    """SIGKILL every other process of this session (Linux /proc)."""
    session = os.getsid(0)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if os.getsid(int(entry)) == session:
                    os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _install(spec: str) -> None:
    command, count, marker = spec.split(":", 2)
    real_replace = os.replace
    calls = 0

    def replace(src, dst, *args, **kwargs):
        nonlocal calls
        if os.path.basename(sys.argv[0]) == "epibench" and sys.argv[1:2] == [command]:
            calls += 1
            if calls == int(count):
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return real_replace(src, dst, *args, **kwargs)
                os.write(fd, " ".join(sys.argv).encode())
                os.close(fd)
                whom = os.environ.get("EPIBENCH_KILL_WHOM", "job")
                if whom == "snakemake":
                    os.kill(os.getsid(0), signal.SIGKILL)
                    atexit.register(lambda: open(f"{marker}.exited", "w").close())
                    return real_replace(src, dst, *args, **kwargs)
                if whom == "session":
                    _kill_session()
                os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace


if os.environ.get("EPIBENCH_KILL"):
    _install(os.environ["EPIBENCH_KILL"])
