"""The warnings of a cohort's job logs gathered for the end of a run (epibench.log_warnings), from
logs written by Python's logging in the format the epibench command uses."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from epibench.log_warnings import LOG_FORMAT, log_warnings, warnings_summary


def write_log(path: Path, records: list[tuple[int, str]]) -> None:
    """A job log as ``epibench`` writes one: each (level, message) through a handler in LOG_FORMAT."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger = logging.getLogger(f"epibench.test.{path.stem}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        for level, message in records:
            logger.log(level, message)
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_each_distinct_warning_is_counted_once_per_log(tmp_path):
    dropped = "s1.cov: 1,180 calls (3.2%) on sequences the reference lacks were dropped"
    no_genes = "genes.gtf: no transcript on 2 of 6 FASTA sequence(s)"
    write_log(
        tmp_path / "ingest" / "s1" / "split.log", [(logging.INFO, "read"), (logging.WARNING, dropped)] * 2
    )
    write_log(tmp_path / "regions.log", [(logging.WARNING, no_genes + "\nsecond line of it")])
    write_log(tmp_path / "shards" / "s1.log", [(logging.WARNING, no_genes), (logging.ERROR, "not a warning")])
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "x.tsv").write_text("s\th:m:s\n1.0\t0:00:01\n")
    assert log_warnings(tmp_path) == {dropped: 1, no_genes: 2}
    summary = warnings_summary(tmp_path).splitlines()
    assert summary[0].startswith("EpiBench: 2 kind(s) of warning")
    assert summary[1:] == [f"  {no_genes} (2 logs)", f"  {dropped}"]


def test_many_warnings_show_the_first_and_count_the_rest(tmp_path):
    write_log(tmp_path / "a.log", [(logging.WARNING, f"warning {word}") for word in "abcde"])
    lines = warnings_summary(tmp_path, shown=3).splitlines()
    assert len(lines) == 5 and lines[-1] == "  ... and 2 more"


def test_a_warning_of_every_shard_group_is_one_line(tmp_path):
    """Alike: the same words, other numbers and other names in brackets; a sample's name is kept
    unless the samples' names are given."""

    def no_value(sample: str, n: int, names: str) -> str:
        return (
            f"{sample}'s H3K27ac has no value on {n} of the {n + 20} sequences with CpGs in this shard "
            f"({names}): their {10 * n:,} CpGs see the mark as missing"
        )

    for group, (n, names) in enumerate([(3, "chrUn_1, chrUn_2"), (1, "chrM"), (12, "chrUn_7")]):
        write_log(
            tmp_path / "shards" / f"sample1.{group}.log", [(logging.WARNING, no_value("sample1", n, names))]
        )
    write_log(tmp_path / "shards" / "sample2.0.log", [(logging.WARNING, no_value("sample2", 3, "chrUn_1"))])
    lines = warnings_summary(tmp_path).splitlines()
    assert lines[0].startswith("EpiBench: 2 kind(s) of warning")
    assert lines[1].startswith("  sample1's H3K27ac") and lines[1].endswith("(3 logs; 2 more like it)")
    assert lines[2] == f"  {no_value('sample2', 3, 'chrUn_1')}"
    # told the samples' names, one line for every sample's
    lines = warnings_summary(tmp_path, names=["sample1", "sample2"]).splitlines()
    assert len(lines) == 2 and lines[1].endswith("(4 logs; 3 more like it)")


def test_logs_without_warnings_say_nothing(tmp_path):
    write_log(tmp_path / "a.log", [(logging.INFO, "all fine")])
    assert warnings_summary(tmp_path) == "" and warnings_summary(tmp_path / "absent") == ""


def test_logs_of_an_earlier_run_are_left_out(tmp_path):
    write_log(tmp_path / "old.log", [(logging.WARNING, "from a job not rerun")])
    write_log(tmp_path / "new.log", [(logging.WARNING, "from this run")])
    started = 1_000_000.0
    os.utime(tmp_path / "old.log", (started - 60, started - 60))
    os.utime(tmp_path / "new.log", (started + 5, started + 5))
    assert log_warnings(tmp_path, since=started) == {"from this run": 1}
    assert warnings_summary(tmp_path / "absent", since=started) == ""
    assert log_warnings(tmp_path) == {"from a job not rerun": 1, "from this run": 1}


def test_the_warnings_of_jobs_an_earlier_run_did_are_named_after_this_runs(tmp_path):
    """A run resumed after a failure: the samples' ingest warnings are in logs the first run wrote."""
    started = 1_000_000.0
    for name, message, when in (
        ("ingest/s1.log", "s1: only 15.0% of the calls sit on a CpG", started - 600),
        ("ingest/s2.log", "s2: only 14.9% of the calls sit on a CpG", started - 590),
        ("train/cnn.log", "GPU(s) allocated but this torch cannot use CUDA", started + 5),
        ("old/same.log", "GPU(s) allocated but this torch cannot use CUDA", started - 5),
    ):
        write_log(tmp_path / name, [(logging.WARNING, message)])
        os.utime(tmp_path / name, (when, when))
    lines = warnings_summary(tmp_path, since=started, names={"s1", "s2"}).splitlines()
    assert lines[0].startswith("EpiBench: 1 kind(s) of warning in the logs this run wrote")
    assert lines[1] == "  GPU(s) allocated but this torch cannot use CUDA"
    # one more kind (the two samples' warnings alike; the GPU one is this run's already)
    assert lines[2] == (
        "EpiBench: and 1 more kind(s) in logs earlier runs wrote there (jobs this run did not redo):"
    )
    assert lines[3] == "  s1: only 15.0% of the calls sit on a CpG (2 logs; 1 more like it)"
    assert len(lines) == 4


def test_every_kind_of_an_earlier_run_is_named_not_only_the_first(tmp_path):
    """A report rerun alone (--forcerun report) redoes no ingest: a sample's dropped sequences, warned
    of by its ingest log, must still be named beside the annotation's warning, not hidden behind it."""
    started = 1_000_000.0
    for name, message in (
        ("regions.log", "genes.gff: no transcript on 2 of 6 FASTA sequence(s)"),
        ("ingest/m2/split.log", "m2: 1,185 calls (7.7%) on sequences the reference lacks dropped"),
    ):
        write_log(tmp_path / name, [(logging.WARNING, message)])
        os.utime(tmp_path / name, (started - 60, started - 60))
    lines = warnings_summary(tmp_path, since=started, names={"m2"}).splitlines()
    assert lines[0].startswith("EpiBench: and 2 more kind(s) in logs earlier runs wrote there")
    assert sorted(lines[1:]) == [
        "  genes.gff: no transcript on 2 of 6 FASTA sequence(s)",
        "  m2: 1,185 calls (7.7%) on sequences the reference lacks dropped",
    ]


def test_a_training_stopped_by_a_signal_is_named_as_resumable_after_the_failed_run(tmp_path):
    """Ctrl-C during a training: Snakemake ends with "Error in rule train"; the line after it names
    the log and says the next run resumes it. The message is the one epibench logs for the stop
    (Preempted's own), so the two cannot drift apart; an older log and other warnings name nothing."""
    import signal
    import time

    from epibench.log_warnings import stopped_trainings
    from epibench.train.preemption import Preempted

    stop = str(Preempted(signal.SIGINT, 899, "results/c/models/hybrid/checkpoint.pt"))
    write_log(tmp_path / "train" / "cnn.log", [(logging.WARNING, "an older stop: " + stop)])
    old = time.time() - 60
    os.utime(tmp_path / "train" / "cnn.log", (old, old))
    write_log(tmp_path / "train" / "hybrid.log", [(logging.INFO, "epoch 3"), (logging.WARNING, stop)])
    write_log(tmp_path / "regions.log", [(logging.WARNING, "genes.gtf: no transcript on 2 of 6 sequences")])
    lines = stopped_trainings(tmp_path, since=old + 30)
    assert lines == [
        f"EpiBench: {tmp_path / 'train' / 'hybrid.log'}: stopped by SIGINT at step 899, its checkpoint written: "
        "the error above is that stop, not a fault; run the same command again to resume it"
    ]


def test_a_kind_is_shown_by_its_worst_case(tmp_path):
    """lung's mark missing on chrX (2,274 CpGs) and forebrain's on a small scaffold (674): one kind,
    shown by the message of the largest count, not the alphabetically first."""
    scaffold = "forebrain's H3K4me1 has no value on 1 of the 4 sequences (chrUn_GL456239): their 674 CpGs"
    chromosome = (
        "lung's H3K4me1 has no value on 2 of the 4 sequences (chrX, chrUn_GL456239): their 2,274 CpGs"
    )
    write_log(tmp_path / "shards" / "forebrain.log", [(logging.WARNING, scaffold)])
    write_log(tmp_path / "shards" / "lung.log", [(logging.WARNING, chromosome)])
    lines = warnings_summary(tmp_path, names=["forebrain", "lung"]).splitlines()
    assert lines[1:] == [f"  {chromosome} (2 logs; 1 more like it)"]


def test_a_slurm_training_stopped_by_sigterm_points_at_the_time_limit(tmp_path):
    """A train job's SIGTERM under SLURM is often its time limit (or the profile's --signal=TERM@300
    before it): the retry and the rerun get the same limit, so the line says which job it was and what
    to raise; Ctrl-C (SIGINT) and a stop outside SLURM keep the plain line."""
    import signal

    from epibench.log_warnings import stopped_trainings
    from epibench.train.preemption import Preempted

    stop = str(Preempted(signal.SIGTERM, 1273, "results/c/models/cnn/checkpoint.pt"))
    slurm = "SLURM job 696 on partition gpu, node n1, CUDA_VISIBLE_DEVICES=0"
    write_log(tmp_path / "slurm" / "cnn.log", [(logging.INFO, slurm), (logging.WARNING, stop)])
    write_log(tmp_path / "local" / "cnn.log", [(logging.INFO, "epoch 3"), (logging.WARNING, stop)])
    ctrl_c = str(Preempted(signal.SIGINT, 5, "results/c/models/cnn/checkpoint.pt"))
    write_log(tmp_path / "ctrl_c" / "cnn.log", [(logging.INFO, slurm), (logging.WARNING, ctrl_c)])
    lines = {Path(line.split(": ")[1]).parent.name: line for line in stopped_trainings(tmp_path)}
    assert "SLURM job 696" in lines["slurm"] and "raise train's runtime" in lines["slurm"]
    assert "resume it" in lines["slurm"]
    assert "SLURM" not in lines["local"] and "SLURM" not in lines["ctrl_c"]
