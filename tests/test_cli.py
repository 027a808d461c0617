"""The epibench command: a subcommand per stage with --help, clear errors for bad input."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epibench.cli import build_parser, main

STAGES = [
    "demo-data",
    "reference",
    "check-inputs",
    "fit-calls",
    "ingest",
    "ingest-split",
    "ingest-group",
    "ingest-summary",
    "mark-bigwig",
    "qc",
    "chrom-names",
    "regions",
    "shard-plan",
    "shards",
    "train",
    "predict",
    "baseline",
    "evaluate",
    "attribute",
    "motifs",
    "variants",
    "report",
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
    code = main(
        [
            "ingest",
            "--input",
            str(bad),
            "--sample",
            "s",
            "--reference",
            str(tiny_cohort["fasta"]),
            "--out",
            str(tmp_path / "o.parquet"),
            "--qc",
            str(tmp_path / "o.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.bedMethyl" in err and "line 1" in err
    assert not (tmp_path / "o.parquet").exists()


def test_bad_json_setting_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--shards", "x", "--model-json", "{not json", "--out-dir", "y"])
    assert stop.value.code == 2
    assert "not valid JSON" in capsys.readouterr().err


SHARD_SECTIONS = st.fixed_dictionaries(
    {"bin_size": st.just(2)},  # the window's default (1000) is a multiple of it too
    optional={
        "window": st.integers(20, 4000).map(lambda w: w * 2),
        "label_threshold": st.floats(0, 1),
        "ambiguous_band": st.none() | st.tuples(st.floats(0, 0.5), st.floats(0.5, 1)).map(list),
        "weight_pseudocount": st.floats(0, 100),
        "drop_blacklisted": st.booleans(),
        "neighbours": st.integers(0, 64),
    },
)
SPLIT_SECTIONS = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["auto", "chroms", "blocks"]),
        "val_chroms": st.lists(st.sampled_from(["chr6", "7", "chr 8", "scaffold_1"]), max_size=3),
        "test_chroms": st.lists(st.sampled_from(["chr9", "X"]), max_size=2),
        "block_bp": st.integers(1000, 10**7),
        "val_fraction": st.floats(0.01, 0.45),
        "test_fraction": st.floats(0.01, 0.45),
        "seed": st.integers(0, 2**31),
    },
)


@settings(max_examples=60, deadline=None)
@given(shards=SHARD_SECTIONS, split=SPLIT_SECTIONS)
def test_config_sections_reach_the_settings_through_the_flags(shards, split):
    """What the workflow writes (settings_flags of a config section) parses back to the settings the
    section means: ShardSettings(**shards), SplitSettings(**split), defaults where a key is absent."""
    from epibench.cli.common import given as given_settings, settings_flags
    from epibench.data.shards import ShardSettings
    from epibench.data.splits import SplitSettings

    parser = build_parser()
    shard_args = parser.parse_args(
        [
            "shards",
            "--sample",
            "s",
            "--group",
            "g",
            "--plan-dir",
            "p",
            "--regions",
            "r",
            "--reference",
            "f",
            "--out-dir",
            "o",
            *shlex.split(settings_flags(shards)),
        ]
    )
    got = given_settings(shard_args, ShardSettings)
    if "ambiguous_band" in got:
        got["ambiguous_band"] = tuple(got["ambiguous_band"])
    want = (
        dict(shards, ambiguous_band=tuple(shards["ambiguous_band"]))
        if shards.get("ambiguous_band")
        else {k: v for k, v in shards.items() if v is not None}
    )
    assert ShardSettings(**got) == ShardSettings(**want)
    plan_args = parser.parse_args(
        ["shard-plan", "--chrom-sizes", "c", "--out-dir", "o", *shlex.split(settings_flags(split))]
    )
    assert SplitSettings(**given_settings(plan_args, SplitSettings)) == SplitSettings(**split)


def test_ingest_logs_the_5hmc_rows_it_did_not_read(tmp_path, caplog):
    """A modkit pileup of m and h rows: the log says how many rows were 5hmC and not read as methylation
    (not only the QC json), and names the format that counts them."""
    from epibench.io.reference import write_reference_index

    source = tmp_path / "ref.fa"
    source.write_text(">chr1\n" + "AACGTTTACGAA" * 10 + "\n")
    fasta = write_reference_index(source, tmp_path / "reference")
    rows = []
    for start in range(2, 120, 12):  # the C of each CpG, + strand: one 5mC row and one 5hmC row
        for code, n_mod, n_other in (("m", 4, 1), ("h", 1, 4)):
            head = "\t".join(map(str, ("chr1", start, start + 1, code, 6, "+", start, start + 1, "255,0,0")))
            rows.append(
                head + "\t" + " ".join(map(str, (6, f"{100 * n_mod / 6:.2f}", n_mod, 1, n_other, 0, 0, 0, 0)))
            )
    calls = tmp_path / "pileup.bed"
    calls.write_text("\n".join(rows) + "\n")
    args = ["--input", str(calls), "--sample", "s", "--reference", str(fasta), "--min-coverage", "1"]
    with caplog.at_level("INFO", logger="epibench"):
        code = main(["ingest", *args, "--out", str(tmp_path / "o.parquet"), "--qc", str(tmp_path / "o.json")])
    assert code in (0, None)
    logged = caplog.text
    assert f"{len(rows) // 2:,} of the {len(rows):,} rows are of another modification" in logged
    assert "5hmC" in logged and "modkit_5mc_5hmc" in logged


def test_an_output_that_may_not_be_written_stops_with_its_path(tmp_path, capsys):
    """A folder the job may not write (chattr +i: root ignores permissions): one line naming it and what
    to do, exit 1, no traceback."""
    import subprocess

    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 50 + "\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i needs root and a file system that has it")
    try:
        code = main(["reference", "--fasta", str(fasta), "--out-dir", str(locked / "ref")])
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.startswith("error: Operation not permitted: ") and str(locked / "ref") in err
    assert "check the permissions" in err
