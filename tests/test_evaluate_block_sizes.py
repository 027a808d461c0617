"""Interval widths by bootstrap block (epibench.evaluate.block_sizes): errors shared across domains
longer than the configured block are caught; point values against scikit-learn."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from epibench.cli import main
from epibench.evaluate.block_choice import AUTO_SIZES_BP, choice_record, choice_text, choose_block
from epibench.evaluate.block_sizes import block_size_table, narrow_intervals, narrow_text

DOMAIN_BP = 50_000
N_DOMAINS = 200  # a 10-Mb chromosome
COPIES = 20  # CpGs per domain, 2.5 kb apart


def _two_models(shared: bool, seed: int = 0) -> pd.DataFrame:
    """Predictions of models "new" and "old" at 20 CpGs in each of 200 domains of 50 kb on chr1.
    shared: a domain's CpGs share their level and both models' errors (they say no more than one
    CpG per domain); else every CpG is drawn on its own."""
    rng = np.random.default_rng(seed)
    n = N_DOMAINS * COPIES
    draws = N_DOMAINS if shared else n

    def drawn(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, COPIES) if shared else values

    level = drawn(rng.uniform(0, 1, draws))
    pos = np.repeat(np.arange(N_DOMAINS) * DOMAIN_BP, COPIES) + np.tile(np.arange(COPIES) * 2_500, N_DOMAINS)
    frames = []
    for model, noise in (("new", 0.15), ("old", 0.25)):
        pred = np.clip(level + drawn(rng.normal(0, noise, draws)), 0, 1)
        frames.append(
            pd.DataFrame(
                {
                    "model": model,
                    "sample": "s1",
                    "chrom": "chr1",
                    "pos": pos,
                    "region": "gene_body",
                    "level_true": level,
                    "label_true": (level >= 0.5).astype(np.int8),
                    "level_pred": pred,
                    "prob_pred": pred,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


SIZES = (0, 10_000, 100_000, 2_000_000)


def test_errors_shared_across_domains_longer_than_the_block_are_called_too_narrow():
    table = block_size_table(_two_models(shared=True), "new", "old", block_bp=10_000, sizes=SIZES, n_boot=400)
    narrow = narrow_intervals(table)
    # 10-kb blocks cut each 50-kb domain in five: its copies count five times, the interval about
    # sqrt(5) too narrow against 100-kb blocks that keep domains whole
    assert set(narrow) == {
        ("new", "", "auroc"),
        ("new", "", "mse"),
        ("new", "old", "auroc"),
        ("new", "old", "mse"),
    }
    for share, block_bp, n_blocks in narrow.values():
        assert share < 0.6 and block_bp == 100_000 and n_blocks == 100
    assert all("10 kb blocks" in sentence and "100 kb blocks" in sentence for sentence in narrow_text(table))


def test_a_longer_block_of_fewer_than_20_blocks_judges_no_other():
    # 1-Mb blocks make ten of the 10-Mb chromosome: an interval, but too uncertain a width to judge by
    table = block_size_table(_two_models(shared=True), "new", "old", sizes=(0, 1_000_000), n_boot=100)
    assert table.loc[table["block_bp"] == 1_000_000, "width"].notna().all()
    assert narrow_intervals(table) == {}


def test_independent_errors_are_not_called_too_narrow():
    table = block_size_table(
        _two_models(shared=False), "new", "old", block_bp=10_000, sizes=SIZES, n_boot=400
    )
    assert narrow_intervals(table) == {}


def test_values_match_scikit_learn_and_blocks_are_counted():
    preds = _two_models(shared=False)
    table = block_size_table(preds, "new", "old", block_bp=10_000, sizes=SIZES, n_boot=20)
    new, old = (preds[preds["model"] == m] for m in ("new", "old"))
    auroc = {
        m: roc_auc_score(rows["label_true"], rows["prob_pred"]) for m, rows in (("new", new), ("old", old))
    }
    mse = {
        m: mean_squared_error(rows["level_true"], rows["level_pred"])
        for m, rows in (("new", new), ("old", old))
    }
    expected = {
        ("", "auroc"): auroc["new"],
        ("", "mse"): mse["new"],
        ("old", "auroc"): auroc["new"] - auroc["old"],
        ("old", "mse"): mse["new"] - mse["old"],
    }
    for row in table.itertuples():
        assert row.value == pytest.approx(expected[(row.other, row.metric)])
        blocks = (
            len(new)
            if row.block_bp == 0
            else len({(c, p // row.block_bp) for c, p in zip(new["chrom"], new["pos"])})
        )
        assert row.n_blocks == blocks
        assert row.configured == (row.block_bp == 10_000)
        # 2-Mb blocks make five: fewer than bootstrap.MIN_BLOCKS, no interval
        assert np.isnan(row.width) == (row.block_bp == 2_000_000)


def test_one_model_gives_its_own_rows_only(tmp_path):
    preds = _two_models(shared=False)
    table = block_size_table(preds[preds["model"] == "new"], "new", None, sizes=(0, 10_000), n_boot=20)
    assert set(table["other"]) == {""} and len(table) == 4


def test_the_command_writes_table_and_figure_and_warns_of_narrow_intervals(tmp_path, caplog):
    paths = _write_models(_two_models(shared=True), tmp_path)
    out = tmp_path / "block_sizes.tsv"
    args = ["evaluate", "block-sizes", "--predictions", *paths, "--new", "new", "--original", "old"]
    with caplog.at_level(logging.WARNING):
        assert main([*args, "--n-boot", "100", "--out", str(out), "--out-figure", str(tmp_path / "bs")]) == 0
    table = pd.read_csv(out, sep="\t", keep_default_na=False, na_values=["nan", "NaN"])
    assert set(table["block_bp"]) == {0, 1_000, 10_000, 100_000, 1_000_000}
    assert (tmp_path / "bs.png").stat().st_size > 0 and (tmp_path / "bs.pdf").stat().st_size > 0
    assert "may be too narrow" in caplog.text


def _write_models(preds: pd.DataFrame, folder) -> list[str]:
    """One predictions table per model of ``preds`` in ``folder``; their paths."""
    paths = []
    for model, rows in preds.groupby("model"):
        paths.append(str(folder / f"{model}.parquet"))
        rows.to_parquet(paths[-1])
    return paths


@pytest.mark.parametrize("shared, expected_bp", [(True, 100_000), (False, 10_000)])
def test_auto_chooses_the_shortest_block_that_keeps_shared_errors_together(shared, expected_bp):
    # 50-kb domains whose CpGs share their errors: 10- and 30-kb blocks cut them, 100 kb keeps them whole
    table = block_size_table(_two_models(shared=shared), "new", "old", 10_000, AUTO_SIZES_BP, n_boot=400)
    record = choice_record(table)
    assert choose_block(table) == record["block_bp"] == expected_bp
    # the 10-Mb chromosome makes 10 blocks of 1 Mb: too few to compare, so 300 kb is the longest compared
    assert record["n_blocks"] == 10_000_000 // expected_bp and not record["longest_compared"]
    assert set(record["widths"]) == {str(size) for size in AUTO_SIZES_BP}


def test_auto_takes_the_shortest_block_where_none_makes_enough_blocks():
    preds = _two_models(shared=True)
    preds = preds[preds["pos"] < 150_000]  # three domains: 15 blocks of 10 kb
    table = block_size_table(preds, "new", "old", 10_000, AUTO_SIZES_BP, n_boot=50)
    record = choice_record(table)
    assert record["block_bp"] == 10_000 and record["n_blocks"] == 15
    assert "too few" in choice_text(record)


def test_every_table_reads_the_chosen_block_from_its_json(tmp_path):
    paths = _write_models(_two_models(shared=True), tmp_path)
    choice = tmp_path / "bootstrap_block.json"
    pair = ["--predictions", *paths, "--new", "new", "--original", "old"]
    assert main(["evaluate", "bootstrap-block", *pair, "--n-boot", "200", "--out", str(choice)]) == 0
    chosen = json.loads(choice.read_text())["block_bp"]
    assert chosen == 100_000
    tables = {}
    for name, block in (("json", str(choice)), ("bp", str(chosen)), ("10kb", "10000")):
        out = tmp_path / f"metrics_{name}.tsv"
        args = ["evaluate", "metrics", "--predictions", *paths, "--n-boot", "50", "--block-bp", block]
        assert main([*args, "--out", str(out)]) == 0
        tables[name] = pd.read_csv(out, sep="\t")
    pd.testing.assert_frame_equal(tables["json"], tables["bp"])
    assert not tables["json"]["ci_low"].equals(tables["10kb"]["ci_low"])


@pytest.mark.parametrize("text", ["not json", '{"other": 1}', '{"block_bp": "100 kb"}'])
def test_a_block_choice_that_holds_no_block_is_refused_by_name(tmp_path, capsys, text):
    choice = tmp_path / "bootstrap_block.json"
    choice.write_text(text)
    args = ["evaluate", "metrics", "--predictions", "x.parquet", "--block-bp", str(choice), "--out", "m.tsv"]
    with pytest.raises(SystemExit):
        main(args)
    assert f"{choice}: " in capsys.readouterr().err
