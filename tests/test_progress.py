"""Progress lines in the log (epibench.progress): at most one per interval, by the clock given."""

from __future__ import annotations

import logging

from epibench.io.mark_tracks import write_mark_bigwig
from epibench.progress import ProgressLog, time_left


def test_a_line_only_after_the_interval_has_passed(caplog):
    now = [100.0]
    progress = ProgressLog(logging.getLogger("epibench.test"), every_s=30, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="epibench.test"):
        for t, rows in [(110, 1), (129.9, 2), (130, 3), (150, 4), (161, 5)]:
            now[0] = t
            progress("%d rows read", rows)
    assert [r.getMessage() for r in caplog.records] == ["3 rows read", "5 rows read"]


def test_mark_bigwig_reports_intervals_read_as_it_goes(tmp_path, monkeypatch, caplog):
    """With every chunk past the interval, each chunk of a bedGraph read in 3 chunks gives a line."""
    monkeypatch.setattr("epibench.io.mark_readers.ROWS_PER_CHUNK", 4)
    monkeypatch.setattr("epibench.progress.EVERY_S", 0.0)
    path = tmp_path / "x.bedGraph"
    path.write_text("".join(f"chr1\t{i * 10}\t{i * 10 + 10}\t1.5\n" for i in range(10)))
    with caplog.at_level(logging.INFO, logger="epibench"):
        write_mark_bigwig(path, {"chr1": 1000}, tmp_path / "x.bw")
    lines = [r.getMessage() for r in caplog.records if "intervals read" in r.getMessage()]
    assert lines == [f"{path}: {n} intervals read" for n in (4, 8, 10)]


def test_time_left_at_the_rate_so_far():
    # 10 of 100 batches in 20 s: 90 more at 2 s each
    assert time_left(10, 100, 20.0) == "3 min"
    assert time_left(50, 100, 40.0) == "40 s"
    assert time_left(1, 1000, 15.0) == "4 h 10 min"  # 999 x 15 s = 14,985 s
    assert time_left(100, 100, 40.0) == "0 s"
    assert time_left(0, 100, 0.0) == "?"
