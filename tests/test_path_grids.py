"""Many paths as one short word (epibench.path_grids) and the commands that read it back."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epibench.cli import build_parser
from epibench.path_grids import expand_word, to_word

ARG_STRLEN = 128 * 1024  # Linux's MAX_ARG_STRLEN: the longest word exec takes (a shell command is one)


def _shard_folders(n_samples: int, groups: list[str]) -> list[str]:
    """The workflow's order (snakemake's expand): sample by sample, the groups in order within each."""
    return [f"results/cohort/shards/ENCFF{i:06d}_liver/{g}" for i in range(n_samples) for g in groups]


def test_a_cohort_too_long_for_the_shell_fits_in_one_word():
    groups = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "other"]
    folders = _shard_folders(300, groups)
    plain = " ".join(folders)
    assert len(plain) > ARG_STRLEN  # as the shell command of old: refused by exec
    with pytest.raises(OSError, match="Argument list too long"):
        subprocess.run(f"true {plain}", shell=True, executable="/bin/bash", check=False)
    word = to_word(folders)
    assert len(word) < ARG_STRLEN / 4
    assert json.loads(word)["names"] == groups
    assert expand_word(word) == folders
    subprocess.run(f"true {shlex.quote(word)}", shell=True, executable="/bin/bash", check=True)


paths = st.lists(
    st.tuples(st.sampled_from(["a", "b/c", "", "d e"]), st.sampled_from(["x", "y.parquet", "z z"])).map(
        lambda pair: f"{pair[0]}/{pair[1]}" if pair[0] else pair[1]
    ),
    min_size=1,
    max_size=12,
)


@given(paths)
def test_any_list_of_paths_comes_back_in_order(listed):
    assert expand_word(to_word(listed)) == listed


def test_a_plain_path_is_itself_even_one_that_looks_like_json():
    assert expand_word("results/x/shards/s1/chr1") == ["results/x/shards/s1/chr1"]
    assert expand_word("{not json") == ["{not json"]
    with pytest.raises(ValueError, match="not a path grid"):
        expand_word('{"folders": ["a"], "names": "chr1"}')


def test_the_commands_expand_the_word_and_name_a_bad_one():
    folders = _shard_folders(3, ["chr1", "chr2"])
    args = build_parser().parse_args(
        ["train", "--shards", to_word(folders), "extra/folder", "--out-dir", "m"]
    )
    assert args.shards == [*folders, "extra/folder"]
    args = build_parser().parse_args(
        [
            "evaluate",
            "by-coverage",
            "--predictions",
            "p.parquet",
            "--cpgs",
            to_word(["m/s1/cpgs/chr1.parquet"]),
            "--out",
            "o.tsv",
            "--out-figure",
            "o",
        ]
    )
    assert args.cpgs == ["m/s1/cpgs/chr1.parquet"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--shards", '{"folders": 1, "names": []}', "--out-dir", "m"])
