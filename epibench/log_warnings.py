"""The warnings of a cohort's job logs, gathered for the end of a workflow run.

Each ``epibench`` command logs to stderr in ``LOG_FORMAT`` and the workflow sends that to the
job's log under ``logs/<cohort>/``; a warning there (calls on sequences the reference lacks, a
sequence without transcripts, a chromosome a mark has no value on) is otherwise seen only by
whoever opens that log. ``warnings_summary`` gives the kinds of warning of the logs a run wrote
(those modified since it started: an earlier run's logs, of jobs not rerun, are left out), for the
Snakefile's ``onsuccess`` to print: one line for a warning every shard group gives with its own
counts and names. ``stopped_trainings`` gives, for the Snakefile's ``onerror``, the trainings a
signal stopped (Ctrl-C, a scheduler's time limit): Snakemake reports them as failed jobs, yet the
next run resumes them from their checkpoints.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# a warning's first line in LOG_FORMAT: date, time, level, logger name, then the message
_WARNING = re.compile(r"\S+ \S+ WARNING \S+: (?P<message>.*)")
SHOWN = 10  # kinds of warning printed; the rest are counted
# the warning epibench.train.preemption.Preempted logs: a training stopped by a signal, checkpointed
_STOPPED = re.compile(r"stopped by (?P<signal>SIG\w+) at step (?P<step>\d+); checkpoint \S+ written")
# the line epibench.cli.train logs in a SLURM job
_SLURM_JOB = re.compile(r"SLURM job (?P<job>\S+) on partition ")
_BRACKETED = re.compile(r"\([^()]*\)")
_NUMBER = re.compile(r"\b\d[\d,.]*")
_OWNER = re.compile(r"('s|:|,)$")  # what follows a sample's name in a message: S01's mark, S01: ...


def log_warnings(logs_dir: str | os.PathLike, since: float = 0.0, before: float = float("inf")) -> Counter:
    """Distinct warning messages (first line) of every ``*.log`` below ``logs_dir`` last modified at
    or after ``since`` and before ``before`` (seconds since the epoch) -> how many logs hold each (a
    warning a sample's jobs all give counts once per job)."""
    counts: Counter = Counter()
    for path in sorted(Path(logs_dir).rglob("*.log")):
        if not since <= path.stat().st_mtime < before:
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            found = {match["message"] for line in fh if (match := _WARNING.match(line))}
        counts.update(found)
    return counts


def warning_kind(message: str, names: Collection[str] = ()) -> str:
    """What warnings alike share: ``message`` with each bracketed part, each number and each of
    ``names`` (the samples') masked, so that one warning of every shard group and sample (its counts
    and sequence names in brackets) is one kind."""
    kind = _NUMBER.sub("N", _BRACKETED.sub("(...)", message))
    return " ".join("<sample>" if _OWNER.sub("", word) in names else word for word in kind.split(" "))


def warnings_summary(
    logs_dir: str | os.PathLike, since: float = 0.0, shown: int = SHOWN, names: Collection[str] = ()
) -> str:
    """Lines for the end of a run: how many kinds of warning (``warning_kind``, ``names`` the
    samples') the logs below ``logs_dir`` written since ``since`` (seconds since the epoch: the
    run's start) hold, and the first ``shown`` kinds, most frequent first: each by its first
    message, with its count of logs and of other messages alike; then the kinds only logs of
    earlier runs hold, listed alike (jobs this run did not redo: a run resumed after a failure would
    otherwise end without the warnings of the jobs that ran before it); "" without any."""
    kinds = _kinds(log_warnings(logs_dir, since), names)
    earlier = {
        kind: entry
        for kind, entry in _kinds(log_warnings(logs_dir, before=since), names).items()
        if kind not in kinds
    }
    lines = []
    if kinds:
        lines.append(
            f"EpiBench: {len(kinds)} kind(s) of warning in the logs this run wrote in {logs_dir}"
            " (grep -r WARNING there):"
        )
    lines += _kind_lines(kinds, shown)
    if earlier and since > 0:
        lines.append(
            f"EpiBench: and {len(earlier)} more kind(s) in logs earlier runs wrote there (jobs this run did "
            "not redo):"
        )
        lines += _kind_lines(earlier, shown)
    return "\n".join(lines)


def _kind_lines(kinds: dict[str, list], shown: int) -> list[str]:
    """A line per kind of ``_kinds``, most frequent first (its first message, its count of logs and of
    other messages alike), the first ``shown`` of them, then how many more."""
    lines = []
    for message, n_logs, n_messages in sorted(kinds.values(), key=lambda entry: -entry[1])[:shown]:
        counted = [f"{n_logs} logs"] if n_logs > 1 else []
        counted += [f"{n_messages - 1} more like it"] if n_messages > 1 else []
        lines.append(f"  {message}" + (f" ({'; '.join(counted)})" if counted else ""))
    if len(kinds) > shown:
        lines.append(f"  ... and {len(kinds) - shown} more")
    return lines


def _kinds(messages: Counter, names: Collection[str]) -> dict[str, list]:
    """``warning_kind`` -> [its message with the largest number, logs, messages] of ``log_warnings``'
    counts: the worst case stands for the kind (a mark missing on a whole chromosome's 2,274 CpGs rather
    than on a scaffold's 674), ties by the messages' order."""
    kinds: dict[str, list] = {}
    for message, n_logs in sorted(messages.items()):
        entry = kinds.setdefault(warning_kind(message, set(names)), [message, 0, 0])
        if _largest_number(message) > _largest_number(entry[0]):
            entry[0] = message
        entry[1] += n_logs
        entry[2] += 1
    return kinds


def _largest_number(message: str) -> float:
    """The largest number written in ``message`` (``2,274`` is 2274); 0 without one."""
    numbers = []
    for text in _NUMBER.findall(message):
        try:
            numbers.append(float(text.replace(",", "").rstrip(".")))
        except ValueError:  # a version or a date: 1.2.3
            continue
    return max(numbers, default=0.0)


def stopped_trainings(logs_dir: str | os.PathLike, since: float = 0.0) -> list[str]:
    """Lines for the end of a failed run: one per log below ``logs_dir`` written since ``since`` (the
    run's start) whose training a signal stopped after writing its checkpoint (Ctrl-C, a scheduler's
    SIGTERM), as Snakemake's "Error in rule train" above it does not say that the next run resumes it."""
    lines = []
    for path in sorted(Path(logs_dir).rglob("*.log")):
        if path.stat().st_mtime < since:
            continue
        stops, jobs = [], []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if _WARNING.match(line) and (stop := _STOPPED.search(line)):
                    stops.append(stop)
                elif job := _SLURM_JOB.search(line):
                    jobs.append(job["job"])
        if stops:
            message = (
                f"EpiBench: {path}: stopped by {stops[-1]['signal']} at step {stops[-1]['step']}, its checkpoint "
                "written: the error above is that stop, not a fault; run the same command again to resume it"
            )
            if jobs and stops[-1]["signal"] != "SIGINT":
                # a scheduler's SIGTERM: its time limit (or the profile's --signal before it) stops the
                # retry and the rerun alike, as train keeps its runtime on the retry
                message += (
                    f" (SLURM job {jobs[-1]}: where its time limit sent the signal, squeue/sacct state TIMEOUT"
                    " or a job shorter than its limit, the rerun gets the same limit: raise train's runtime in"
                    " your copy of the profile first)"
                )
            lines.append(message)
    return lines
