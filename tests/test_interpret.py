"""Interpretation: k-mer aggregation, integrated gradients on a tiny model, the attribute stage outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from epibench.interpret.integrated_gradients import integrated_gradients
from epibench.interpret.kmers import canonical_kmer, kmer_attributions, top_kmers
from epibench.models.factory import build_model
from tiny_models import TINY_CNN, TINY_HYBRID

CODE = {b: i for i, b in enumerate("ACGTN")}
TINY = {"hybrid": {**TINY_HYBRID, "dropout": 0.0}, "cnn": {**TINY_CNN, "dropout": 0.0}}


def encode(seq: str) -> np.ndarray:
    return np.array([CODE[b] for b in seq], dtype=np.uint8)


def test_canonical_kmer_merges_strands():
    assert canonical_kmer("TGACTC") == canonical_kmer("GAGTCA") == "GAGTCA"
    assert canonical_kmer("AAAAAA") == "AAAAAA"


def test_attribution_on_a_planted_kmer_ranks_it_first():
    rng = np.random.default_rng(0)
    motif = "TGACTCA"
    seqs, attrs = [], []
    for _ in range(50):
        seq = list("".join(rng.choice(list("ACGT"), 60)))
        start = int(rng.integers(0, 50))
        seq[start : start + 7] = motif
        attr = rng.normal(0, 0.01, 60)
        attr[start : start + 7] -= 0.2  # the motif pushes toward unmethylated
        seqs.append(encode("".join(seq)))
        attrs.append(attr)
    table = top_kmers(kmer_attributions(np.stack(seqs), np.stack(attrs), k=6), n=5)
    assert table.loc[0, "kmer"] in {canonical_kmer(motif[:6]), canonical_kmer(motif[1:])}
    assert table.loc[0, "mean_attribution"] < 0


def test_kmers_with_n_are_skipped_and_counts_add_up():
    codes = encode("ACGTNACGTA")[None, :]
    table = kmer_attributions(codes, np.ones((1, 10)), k=3)
    # 3-mers without N: ACG, CGT (left of N), ACG, CGT, GTA (right): 5 occurrences
    assert table["count"].sum() == 5
    assert (table["mean_attribution"] == 3.0).all()


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_integrated_gradients_complete_to_the_prediction_difference(arch):
    torch.manual_seed(0)
    model = build_model(arch, n_marks=2, n_bins=4, window=40, **TINY[arch]).eval()
    batch = {
        "seq": torch.randint(0, 4, (3, 40)),
        "hist": 4 * torch.rand(3, 2, 4),  # normalised signal up to 4 (robust scaling's upper tail)
        "hist_mask": torch.ones(3, 2, 4, dtype=torch.bool),
        "region": torch.tensor([0, 2, 3]),
    }
    attr = integrated_gradients(model, batch, n_steps=64)
    assert attr.seq.shape == (3, 40) and attr.hist.shape == (3, 2, 4)
    with torch.no_grad():
        level = model(batch["seq"], batch["hist"], batch["hist_mask"], batch["region"])["level"].numpy()
        no_sequence = model(
            torch.full_like(batch["seq"], 4), batch["hist"], batch["hist_mask"], batch["region"]
        )["level"].numpy()
        no_marks = model(batch["seq"], torch.zeros_like(batch["hist"]), batch["hist_mask"], batch["region"])[
            "level"
        ].numpy()
    np.testing.assert_allclose(attr.level, level, atol=1e-6)
    # completeness, per CpG and within a fixed bound (not the implementation's own delta): each side's
    # attributions sum to f(x) - f(its baseline) within 2 % of that gap plus 0.0002 of level
    for attributions, gap in (
        (attr.seq.sum(1), level - no_sequence),
        (attr.hist.sum((1, 2)), level - no_marks),
    ):
        assert np.all(np.abs(attributions - gap) <= 0.02 * np.abs(gap) + 2e-4), (attributions, gap)
    # gaps wider than that bound, so attributions of 0 would fail it
    assert np.abs(level - no_sequence).min() > 5e-4 and np.abs(level - no_marks).min() > 5e-4
    # the reported deltas are that error, row by row
    np.testing.assert_allclose(attr.delta, attr.seq.sum(1) - (level - no_sequence), atol=1e-5)
    np.testing.assert_allclose(attr.hist_delta, attr.hist.sum((1, 2)) - (level - no_marks), atol=1e-5)


# --- the attribute stage on the tiny shards: attributions.npz, summary.json, figures -------------------------

PER_REGION = 4


def _tiny_model(arch: str, dataset) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(
        arch, n_marks=len(dataset.marks), n_bins=dataset.n_bins, window=dataset.window, **TINY[arch]
    ).eval()


@pytest.fixture(scope="module")
def test_split(tiny_shards):
    from epibench.data.dataset import ShardDataset

    return ShardDataset(tiny_shards, "test")


@pytest.fixture(scope="module", params=["hybrid", "cnn"])
def attributed(request, test_split, tmp_path_factory) -> dict:
    """The attribute stage's outputs for a tiny model of each arch: model, out_dir, summary, arrays."""
    from epibench.interpret.explain import explain

    model = _tiny_model(request.param, test_split)
    out_dir = tmp_path_factory.mktemp(f"interpret_{request.param}")
    summary = explain(model, test_split, out_dir, per_region=PER_REGION, n_steps=8, batch_size=8)
    with np.load(out_dir / "attributions.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return {"arch": request.param, "model": model, "out_dir": out_dir, "summary": summary, "arrays": arrays}


def test_attributions_npz_loads_without_pickle_and_has_one_row_per_cpg(attributed, test_split):
    from epibench.interpret.arrays import PER_CPG, SHARED

    arrays, n = attributed["arrays"], attributed["summary"]["n_cpgs"]
    assert set(PER_CPG + SHARED) <= set(arrays)
    assert n == 4 * PER_REGION and {len(arrays[key]) for key in PER_CPG} == {n}
    w, m, nb = test_split.window, len(test_split.marks), test_split.n_bins
    assert arrays["seq_attr"].shape == arrays["codes"].shape == (n, w)
    assert arrays["hist_attr"].shape == arrays["hist"].shape == arrays["hist_mask"].shape == (n, m, nb)
    assert arrays["sample"].dtype.kind == arrays["chrom"].dtype.kind == arrays["marks"].dtype.kind == "U"
    assert list(arrays["marks"]) == test_split.marks
    assert int(arrays["window"]) == w and int(arrays["bin_size"]) == test_split.bin_size
    assert str(arrays["arch"]) == attributed["arch"]
    assert (
        ("attention" in arrays) == (attributed["arch"] == "hybrid") == attributed["summary"]["has_attention"]
    )
    if "attention" in arrays:
        assert arrays["attention"].shape == (4, nb)
        np.testing.assert_allclose(arrays["attention"].sum(1), 1.0, rtol=1e-4)


def test_identity_inputs_and_prediction_match_the_dataset(attributed, test_split):
    from epibench.interpret.explain import sample_rows_per_region

    arrays, w = attributed["arrays"], test_split.window
    rows = np.concatenate(list(sample_rows_per_region(test_split, PER_REGION, seed=0).values()))
    np.testing.assert_array_equal(arrays["row"], rows)
    table = test_split.rows_table()
    for key in ("sample", "chrom", "pos", "region"):
        np.testing.assert_array_equal(arrays[key], table[key][rows])
    assert (arrays["codes"][:, w // 2 - 1] == CODE["C"]).all() and (
        arrays["codes"][:, w // 2] == CODE["G"]
    ).all()
    batch = test_split.__getitems__(rows)
    np.testing.assert_array_equal(arrays["codes"], batch["seq"].numpy())
    np.testing.assert_array_equal(arrays["hist"], batch["hist"].numpy())
    np.testing.assert_array_equal(arrays["hist_mask"], batch["hist_mask"].numpy())
    np.testing.assert_array_equal(arrays["level_true"], batch["level"].numpy())
    with torch.no_grad():
        level = attributed["model"](batch["seq"], batch["hist"], batch["hist_mask"], batch["region"])["level"]
    np.testing.assert_allclose(arrays["level_pred"], level.numpy(), atol=1e-5)


def test_top_kmers_and_summary(attributed):
    kmers = pd.read_csv(attributed["out_dir"] / "top_kmers.tsv", sep="\t")
    assert list(kmers.columns) == ["region", "kmer", "mean_attribution", "count"]
    summary = json.loads((attributed["out_dir"] / "summary.json").read_text())
    assert summary["n_cpgs_per_region"] == dict.fromkeys(
        ["promoter", "enhancer", "gene_body", "intergenic"], 4
    )
    assert summary["baseline_sequence"] == "all N"
    assert summary["converged"] is True and summary["tolerance"] == 0.05
    # the histone baseline is normalised 0: under the default robust scaling each sample's median signal
    # of the mark, not "no signal" as the figure once said (a trial's referee)
    assert str(attributed["arrays"]["histone_norm"]) == "robust"
    assert "robust: the sample's median signal of each mark" in summary["baseline_histone"]


@pytest.mark.parametrize(
    "kind", ["sequence_attribution", "histone_attribution", "attention", "cpg_explanations"]
)
def test_each_figure_is_a_png_and_a_pdf_from_the_npz_alone(attributed, kind, tmp_path):
    from epibench.interpret.plots import write_interpret_figure

    paths = write_interpret_figure(kind, attributed["out_dir"] / "attributions.npz", tmp_path / kind)
    assert [p.name for p in paths] == [f"{kind}.png", f"{kind}.pdf"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="unknown interpretation figure"):
        write_interpret_figure("nope", attributed["out_dir"] / "attributions.npz", tmp_path / "nope")


def test_explanations_show_the_most_and_least_methylated_cpgs(attributed):
    from epibench.interpret.plots import explanation_figure

    arrays = attributed["arrays"]
    level = arrays["level_true"]
    titles = [ax.get_title(loc="left") for ax in explanation_figure(arrays).axes[::2]]
    assert len(titles) == 6
    by_level = np.sort(level)
    for title, expected, tag in zip(
        titles, [*by_level[::-1][:3], *by_level[:3]], ["most"] * 3 + ["least"] * 3
    ):
        i = next(i for i in range(len(level)) if f"{arrays['chrom'][i]}:{arrays['pos'][i] + 1:,} " in title)
        assert title.startswith(f"{tag} methylated") and level[i] == expected
        assert f"observed {level[i]:.2f}, predicted {arrays['level_pred'][i]:.2f}" in title


def test_pick_examples_skips_nan_and_never_repeats_a_cpg():
    from epibench.interpret.plots import pick_examples

    most, least = pick_examples(np.array([0.5, np.nan, 0.1, 0.9, 0.3]), k=2)
    assert most.tolist() == [3, 0] and least.tolist() == [2, 4]
    most, least = pick_examples(np.array([0.5, np.nan, 0.1, 0.9]), k=3)
    assert most.tolist() == [3, 0, 2] and least.tolist() == []


def test_tied_examples_take_one_region_class_in_turn():
    """Most CpGs of a cohort sit at level 1.0 or 0.0: the examples among them are one of each class
    in turn, not the first rows (one sample's, one class's)."""
    from epibench.interpret.plots import pick_examples

    level = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0, 0.0])
    region = np.array([0, 0, 0, 1, 2, 2, 2, 0])
    most, least = pick_examples(level, k=2, region=region)
    assert most.tolist() == [0, 3] and least.tolist() == [5, 7]
    assert pick_examples(level, k=2)[0].tolist() == [0, 1], "without classes: rows in order"


def test_logo_matrix_puts_the_attribution_on_the_observed_base():
    from epibench.interpret.plots import logo_matrix

    codes = encode("AAACGNGA")  # W=8: C at index W//2 - 1 = 3 (offset 0), G at 4, N at 5
    attr = np.arange(8, dtype=float)
    matrix = logo_matrix(codes, attr, flank=2)
    assert matrix.index.tolist() == [-2, -1, 0, 1, 2, 3] and matrix.columns.tolist() == list("ACGT")
    assert matrix.loc[0, "C"] == 3 and matrix.loc[1, "G"] == 4 and matrix.loc[-1, "A"] == 2
    assert matrix.loc[2].sum() == 0  # the N
    assert (matrix != 0).sum(axis=1).tolist() == [1, 1, 1, 1, 0, 1]


# --- convergence: relative delta, retries with more steps, the warning ----------------------------------------


def _synthetic_batch() -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    model = build_model("hybrid", n_marks=2, n_bins=4, window=40, **TINY["hybrid"]).eval()
    batch = {
        "seq": torch.randint(0, 4, (4, 40)),
        "hist": torch.rand(4, 2, 4) * 3,
        "hist_mask": torch.ones(4, 2, 4, dtype=torch.bool),
        "region": torch.tensor([0, 1, 2, 3]),
    }
    return model, batch


def test_relative_delta_is_relative_to_the_prediction_gap():
    from epibench.interpret.integrated_gradients import REL_EPS, relative_delta

    # attributions sum to 0.21 with delta 0.01: the gap F(x) - F(baseline) is 0.2
    np.testing.assert_allclose(relative_delta(np.array([0.01]), np.array([0.21])), 0.01 / (0.2 + REL_EPS))


def test_unconverged_cpgs_are_rerun_with_doubled_steps_up_to_the_cap():
    from epibench.interpret.integrated_gradients import converged_integrated_gradients

    model, batch = _synthetic_batch()
    strict = converged_integrated_gradients(model, batch, n_steps=2, max_steps=8, tolerance=0.0)
    assert (strict.n_steps == 8).all()
    direct = integrated_gradients(model, batch, n_steps=8)
    np.testing.assert_allclose(strict.seq, direct.seq, atol=1e-6)
    np.testing.assert_allclose(strict.delta, direct.delta, atol=1e-6)
    np.testing.assert_allclose(strict.hist_delta, direct.hist_delta, atol=1e-6)
    lenient = converged_integrated_gradients(model, batch, n_steps=2, max_steps=8, tolerance=np.inf)
    assert (lenient.n_steps == 2).all()
    with pytest.raises(ValueError, match="max_steps"):
        converged_integrated_gradients(model, batch, n_steps=8, max_steps=4)


def test_too_few_steps_warn_and_say_not_converged(test_split, tmp_path, caplog):
    from epibench.interpret.explain import explain

    model = _tiny_model("hybrid", test_split)
    with caplog.at_level("WARNING", logger="epibench.interpret.explain"):
        summary = explain(model, test_split, tmp_path, per_region=2, n_steps=2, max_steps=4, tolerance=0.0)
    assert summary["converged"] is False and "did not converge" in caplog.text
    assert summary["n_retried"] == summary["n_cpgs"] == 8
    with np.load(tmp_path / "attributions.npz", allow_pickle=False) as npz:
        assert (npz["n_steps"] == 4).all()
        assert summary["seq_median_rel_delta"] == pytest.approx(float(np.median(npz["seq_rel_delta"])))


def test_load_attributions_names_what_a_foreign_npz_lacks(tmp_path):
    from epibench.errors import InputError
    from epibench.interpret.arrays import load_attributions, save_attributions

    np.savez(tmp_path / "other.npz", seq_attr=np.zeros((2, 4)))
    with pytest.raises(InputError, match="lacks"):
        load_attributions(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="lack"):
        save_attributions({"seq_attr": np.zeros(2)}, tmp_path / "bad.npz")


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_a_model_without_marks_is_explained_by_its_sequence(arch, tiny_shards_without_marks, tmp_path):
    """A methylation-only cohort: empty histone attributions (delta 0: input and baseline are one),
    no attention; the sequence figures draw, the histone one refuses by name."""
    from epibench.data.dataset import ShardDataset
    from epibench.errors import InputError
    from epibench.interpret.arrays import load_attributions
    from epibench.interpret.explain import explain
    from epibench.interpret.plots import explanation_figure, write_interpret_figure

    dataset = ShardDataset(tiny_shards_without_marks, "test")
    summary = explain(_tiny_model(arch, dataset), dataset, tmp_path, per_region=2, n_steps=8, batch_size=8)
    arrays = load_attributions(tmp_path / "attributions.npz")
    n = summary["n_cpgs"]
    assert arrays["hist_attr"].shape == arrays["hist_mask"].shape == (n, 0, dataset.n_bins)
    assert list(arrays["marks"]) == [] and "attention" not in arrays and summary["has_attention"] is False
    assert summary["hist_median_rel_delta"] == 0.0 and summary["seq_median_rel_delta"] <= 0.05
    for kind in ("sequence_attribution", "cpg_explanations"):
        assert (
            write_interpret_figure(kind, tmp_path / "attributions.npz", tmp_path / kind)[0].stat().st_size
            > 1000
        )
    assert len(explanation_figure(arrays).axes) == 6, "one logo per CpG, no histone bars"
    with pytest.raises(InputError, match="no histone marks"):
        write_interpret_figure("histone_attribution", tmp_path / "attributions.npz", tmp_path / "h")
