"""Baselines: window features against the FASTA text, predictions tables like the deep models',
learning on the tiny cohort, determinism, subsampling and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from epibench.data.dataset import ShardDataset
from epibench.data.windows import window_starts
from epibench.errors import InputError
from epibench.evaluate.baselines import BASELINES, fit_baseline
from epibench.evaluate.features import sequence_composition, window_features
from epibench.evaluate.predict import predict
from epibench.evaluate.tables import PREDICTION_COLUMNS, check_predictions
from epibench.codes import BASES, REGION_CLASSES

WITHOUT_CONTEXT = sorted(name for name, spec in BASELINES.items() if not spec.needs_context)


def _read_fasta(path) -> dict[str, str]:
    """Chromosome name -> upper-case sequence."""
    chroms, name = {}, None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith(">"):
            name = line[1:].split()[0]
            chroms[name] = []
        elif line:
            chroms[name].append(line.upper())
    return {name: "".join(parts) for name, parts in chroms.items()}


def _composition_from_text(text: str) -> tuple[float, float]:
    """GC fraction and CpG per 100 bp over the non-N bases of one window's text."""
    known = sum(base in "ACGT" for base in text)
    return sum(base in "GC" for base in text) / known, 100.0 * text.count("CG") / known


@pytest.fixture(scope="module")
def tables(tiny_shards) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Baseline name -> fit_baseline's (predictions, record) on the tiny shards, default settings."""
    return {name: fit_baseline(name, tiny_shards) for name in WITHOUT_CONTEXT}


def test_gc_and_cpg_density_match_the_fasta_text(tiny_shards, tiny_cohort):
    test = ShardDataset(tiny_shards, "test")
    features = window_features(test, batch_size=100)
    rows = test.rows_table()
    genome = _read_fasta(tiny_cohort["fasta"])
    width = test.window
    starts = window_starts(rows["pos"], width)
    crosses_end = 0
    for i, (chrom, start) in enumerate(zip(rows["chrom"], starts)):
        seq = genome[chrom]
        text = "N" * max(0, -start) + seq[max(0, start) : start + width]
        crosses_end += len(text) < width
        text = text.ljust(width, "N")
        assert text[width // 2 - 1 : width // 2 + 1] == "CG", "the CpG sits at W//2-1, W//2"
        gc, cpg = _composition_from_text(text)
        assert features["gc"][i] == pytest.approx(gc, abs=1e-12)
        assert features["cpg_density"][i] == pytest.approx(cpg, abs=1e-12)
    assert crosses_end > 0, "some windows run past a chromosome end (N there)"


def test_composition_of_all_n_and_mixed_windows():
    n, a, c, g = (BASES.index(b) for b in "NACG")
    seq = np.array([[n, n, n, n], [c, g, n, n], [a, c, g, c]], dtype=np.uint8)
    gc, cpg = sequence_composition(seq)
    np.testing.assert_allclose(gc, [0.5, 1.0, 0.75])
    np.testing.assert_allclose(cpg, [0.0, 50.0, 25.0])


def test_window_features_shapes_and_row_subsets(tiny_shards):
    train = ShardDataset(tiny_shards, "train")
    features = window_features(train, batch_size=64)
    n, width = len(train), len(train.marks) * train.n_bins
    assert features["hist"].shape == features["hist_mask"].shape == (n, width)
    assert all(features[k].shape == (n,) for k in ("gc", "cpg_density", "region", "level", "label", "weight"))
    batch = train.__getitems__(list(range(n)))
    np.testing.assert_array_equal(features["hist"], batch["hist"].numpy().reshape(n, width))
    np.testing.assert_array_equal(features["label"], batch["label"].numpy())
    rows = np.array([5, 1, n - 1])
    subset = window_features(train, rows=rows)
    for key, value in subset.items():
        np.testing.assert_array_equal(value, features[key][rows])
    assert window_features(train, rows=np.empty(0, np.int64))["hist"].shape == (0, width)


class _ConstantModel(torch.nn.Module):
    """A stand-in deep model: level 0.5, logit 0 for every row."""

    def forward(self, seq, hist, hist_mask, region, nbr=None, nbr_mask=None):
        zeros = torch.zeros(seq.shape[0])
        return {"level": zeros + 0.5, "logit": zeros}


@pytest.mark.parametrize("name", WITHOUT_CONTEXT)
def test_predictions_table_is_the_deep_models_format(tables, tiny_shards, name):
    table, record = tables[name]
    check_predictions(table)
    test = ShardDataset(tiny_shards, "test")
    deep = predict(_ConstantModel(), test, "deep")
    assert list(table.columns) == list(deep.columns) == list(PREDICTION_COLUMNS)
    assert table.dtypes.to_dict() == deep.dtypes.to_dict()
    assert (table["model"] == name).all()
    pd.testing.assert_frame_equal(
        table[["sample", "chrom", "pos", "region", "level_true", "label_true"]],
        deep[["sample", "chrom", "pos", "region", "level_true", "label_true"]],
    )
    rows = test.rows_table()
    np.testing.assert_array_equal(table["region"], np.asarray(REGION_CLASSES)[rows["region"]])
    for column in ("level_pred", "prob_pred"):
        assert table[column].between(0.0, 1.0).all()
    assert record["model"] == name
    assert record["train_rows"] == len(ShardDataset(tiny_shards, "train"))
    assert record["test_rows"] == len(table) == len(test)
    assert record["fit_seconds"] > 0 and record["peak_rss_mb"] > 0
    assert len(record["features"]) == len(set(record["features"]))


def test_feature_names(tables):
    assert tables["logreg_gc_cpg"][1]["features"] == ["gc", "cpg_density"]
    names = tables["gbm_histone"][1]["features"]
    assert names[0] == "H3K4me3_bin0" and "H3K36me3_bin3_observed" in names
    assert [f"region_{r}" for r in REGION_CLASSES] + ["cpg_density", "gc"] == names[-6:]
    assert len(names) == 2 * 3 * 4 + len(REGION_CLASSES) + 2


def test_baselines_learn(tables):
    """The tiny cohort's methylation follows CpG islands / density (epibench.demo.methylation)."""
    auroc = {
        name: roc_auc_score(table["label_true"], table["prob_pred"]) for name, (table, _) in tables.items()
    }
    assert auroc["logreg_gc_cpg"] > 0.7, auroc
    assert auroc["gbm_histone"] > 0.65, auroc
    for table, _ in tables.values():
        assert np.corrcoef(table["level_true"], table["level_pred"])[0, 1] > 0.3


@pytest.mark.parametrize("name", WITHOUT_CONTEXT)
def test_same_seed_same_predictions_and_subsampling_to_the_cap(tiny_shards, name):
    first, record = fit_baseline(name, tiny_shards, max_train_rows=300, seed=7)
    again, _ = fit_baseline(name, tiny_shards, max_train_rows=300, seed=7)
    other, _ = fit_baseline(name, tiny_shards, max_train_rows=300, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["prob_pred"], other["prob_pred"]), "another seed, other training rows"
    assert record["train_rows"] == 300
    assert len(first) == record["test_rows"] == len(ShardDataset(tiny_shards, "test"))


def test_unknown_baseline_names_the_known_ones(tiny_shards):
    with pytest.raises(ValueError, match="gbm_histone.*logreg_gc_cpg"):
        fit_baseline("random_forest", tiny_shards)


def test_empty_split_is_an_input_error(tiny_shards):
    chr1 = [d for d in tiny_shards if d.name == "chr1"]
    chr3 = [d for d in tiny_shards if d.name == "chr3"]
    with pytest.raises(InputError, match="holds out no CpG of the cohort for val and test"):
        fit_baseline("logreg_gc_cpg", chr1)
    with pytest.raises(InputError, match="holds out no CpG of the cohort for train and val"):
        fit_baseline("logreg_gc_cpg", chr3)


def test_without_marks_the_tree_baseline_is_gbm_region(tables, tiny_shards_without_marks):
    """A methylation-only cohort: gbm_histone refuses (it has no histone feature to read) and names
    gbm_region, which reads region class, CpG density and GC only, so it predicts exactly as on the
    same CpGs with marks."""
    with pytest.raises(InputError, match="gbm_region"):
        fit_baseline("gbm_histone", tiny_shards_without_marks)
    table, record = fit_baseline("gbm_region", tiny_shards_without_marks)
    assert record["features"] == [f"region_{r}" for r in REGION_CLASSES] + ["cpg_density", "gc"]
    pd.testing.assert_frame_equal(table, tables["gbm_region"][0])
