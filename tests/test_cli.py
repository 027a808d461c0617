"""The epibench command: a subcommand per stage with --help, clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from epibench.cli import build_parser, main

STAGES = [
    "demo-data", "reference", "check-inputs", "ingest", "ingest-split", "ingest-group", "ingest-summary", "qc", "chrom-names", "regions", "shard-plan", "shards", "train", "predict",
    "baseline", "evaluate", "attribute", "report",
]


def test_every_stage_has_a_subcommand():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(STAGES) <= set(sub.choices)


@pytest.mark.parametrize("stage", STAGES)
def test_help_of_each_stage(stage):
    exe = Path(sys.executable).parent / "epibench"
    done = subprocess.run([str(exe), stage, "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "usage: epibench " + stage in done.stdout


def test_bad_input_exits_2_with_file_and_line(tmp_path, tiny_cohort, capsys):
    bad = tmp_path / "bad.bedMethyl"
    bad.write_text("chr1\t10\t11\tx\t5\t+\t10\t11\t0,0,0\t5\tabc\n")
    code = main(["ingest", "--input", str(bad), "--sample", "s", "--reference", str(tiny_cohort["fasta"]),
                 "--out", str(tmp_path / "o.parquet"), "--qc", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.bedMethyl" in err and "line 1" in err
    assert not (tmp_path / "o.parquet").exists()


def test_bad_json_setting_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--shards", "x", "--model-json", "{not json", "--out-dir", "y"])
    assert stop.value.code == 2
    assert "not valid JSON" in capsys.readouterr().err
