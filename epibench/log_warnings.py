"""The warnings of a cohort's job logs, gathered for the end of a workflow run.

Each ``epibench`` command logs to stderr in ``LOG_FORMAT`` and the workflow sends that to the
job's log under ``logs/<cohort>/``; a warning there (calls on sequences the reference lacks, a
sequence without transcripts, a chromosome a mark has no value on) is otherwise seen only by
whoever opens that log. ``warnings_summary`` gives the distinct warnings of the logs a run wrote
(those modified since it started: an earlier run's logs, of jobs not rerun, are left out), for the
Snakefile's ``onsuccess`` to print.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# a warning's first line in LOG_FORMAT: date, time, level, logger name, then the message
_WARNING = re.compile(r"\S+ \S+ WARNING \S+: (?P<message>.*)")
SHOWN = 10  # distinct warnings printed; the rest are counted


def log_warnings(logs_dir: str | os.PathLike, since: float = 0.0) -> Counter:
    """Distinct warning messages (first line) of every ``*.log`` below ``logs_dir`` last modified at
    or after ``since`` (seconds since the epoch) -> how many logs hold each (a warning a sample's
    jobs all give counts once per job)."""
    counts: Counter = Counter()
    for path in sorted(Path(logs_dir).rglob("*.log")):
        if path.stat().st_mtime < since:
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            found = {match["message"] for line in fh if (match := _WARNING.match(line))}
        counts.update(found)
    return counts


def warnings_summary(logs_dir: str | os.PathLike, since: float = 0.0, shown: int = SHOWN) -> str:
    """Lines for the end of a run: how many distinct warnings the logs below ``logs_dir`` written
    since ``since`` (seconds since the epoch: the run's start) hold, and the first ``shown`` of them,
    most frequent first (each with its count of logs); "" without any."""
    counts = log_warnings(logs_dir, since)
    if not counts:
        return ""
    lines = [
        f"EpiBench: {len(counts)} distinct warning(s) in the logs this run wrote in {logs_dir}"
        " (grep -r WARNING there):"
    ]
    lines += [f"  {message}" + (f" ({n} logs)" if n > 1 else "") for message, n in counts.most_common(shown)]
    if len(counts) > shown:
        lines.append(f"  ... and {len(counts) - shown} more")
    return "\n".join(lines)
