"""The neighbour context: the K nearest measured CpGs on each side, from the CpG's own sample and split.

Checked against a plain loop over the canonical tables (an independent implementation), and for
leakage: a CpG is never its own neighbour; changing a CpG's own call, or the call on the other strand
of its CpG, never changes that CpG's input (while a neighbour's input does change); rows read one by
one and in batches are identical, and so are a neighbour-reading model's predictions.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import make_shards
from epibench.codes import SPLITS
from epibench.data.dataset import BatchRequest, ShardDataset
from epibench.data.splits import SplitMap, read_split_plan
from epibench.evaluate.baselines import fit_baseline
from epibench.io.methylation.ingest import ingest, write_canonical
from epibench.io.reference import Reference
from epibench.models.base import model_inputs
from epibench.models.factory import build_model

K = 3
TINY_HYBRID = dict(
    d_model=16,
    n_heads=2,
    ff_dim=32,
    n_layers=1,
    stem_pool=8,
    hist_dim=8,
    fusion_dim=16,
    fusion_heads=2,
    head_hidden=8,
    dropout=0.0,
)


def neighbour_hybrid(dataset: ShardDataset):
    """A tiny hybrid reading the dataset's neighbour context, in eval mode."""
    return build_model(
        "hybrid",
        len(dataset.marks),
        dataset.n_bins,
        dataset.window,
        n_context=dataset.n_context,
        neighbours=True,
        **TINY_HYBRID,
    ).eval()


def expected_tokens(table: pd.DataFrame, split_of, chrom: str, pos: int) -> list[tuple | None]:
    """The 2K neighbours of the CpG at ``pos`` by a plain loop: measured CpGs of the same chromosome
    and split, not the CpG itself, K before it (far to near) and K after it (near to far)."""
    own = split_of(chrom, pos)
    same = [
        row
        for row in table[table["chrom"] == chrom].itertuples()
        if row.pos != pos and split_of(chrom, row.pos) == own
    ]
    before = [r for r in same if r.pos < pos][-K:]
    after = [r for r in same if r.pos > pos][:K]
    tokens = [None] * (K - len(before)) + before + after + [None] * (K - len(after))
    return [
        None if r is None else (r.level, math.log10(1 + r.n_total), math.log10(1 + abs(r.pos - pos)))
        for r in tokens
    ]


@pytest.fixture(scope="module")
def split_of(tiny_shards_with_neighbours):
    plan = read_split_plan(tiny_shards_with_neighbours[0].parents[1] / "plan" / "splits.bed")
    split_map = SplitMap(plan)
    return lambda chrom, pos: int(split_map.span_split(chrom, np.array([pos]), np.array([pos]))[0])


@pytest.mark.parametrize("split", SPLITS)
def test_tokens_match_a_plain_loop_over_the_measured_cpgs(
    tiny_cohort, tiny_shards_with_neighbours, split_of, split
):
    dataset = ShardDataset(tiny_shards_with_neighbours, split)
    batch = dataset.__getitems__(np.arange(len(dataset)))
    rows = dataset.rows_table()
    tables = {s: pd.read_parquet(p) for s, p in tiny_cohort["cpgs"].items()}
    picks = np.random.default_rng(0).choice(len(dataset), size=min(60, len(dataset)), replace=False)
    for i in picks:
        want = expected_tokens(tables[rows["sample"][i]], split_of, rows["chrom"][i], int(rows["pos"][i]))
        mask = batch["nbr_mask"][i].numpy()
        assert mask.tolist() == [w is not None for w in want]
        got = batch["nbr"][i].numpy()
        for t, w in enumerate(want):
            if w is None:
                assert (got[t] == 0).all()  # missing: 0 and masked, not a value
            else:
                np.testing.assert_allclose(got[t], w, rtol=1e-5, atol=1e-6)
        assert (got[mask][:, 2] > 0).all(), "a CpG is never its own neighbour (distance 0)"


def test_reverse_complement_reverses_the_neighbour_order(tiny_shards_with_neighbours):
    dataset = ShardDataset(tiny_shards_with_neighbours, "train")
    rows = np.arange(40)
    plain = dataset.__getitems__(rows)
    flipped = dataset.__getitems__(BatchRequest(rows, np.ones(len(rows), dtype=bool)))
    np.testing.assert_array_equal(flipped["nbr"].numpy(), plain["nbr"].numpy()[:, ::-1])
    np.testing.assert_array_equal(flipped["nbr_mask"].numpy(), plain["nbr_mask"].numpy()[:, ::-1])


def _edit_calls(path: Path, out: Path, chrom: str, pos: int, strand: str, percent: int) -> Path:
    """A copy of a demo bedMethyl file with the call on ``strand`` of the CpG at ``pos`` set to ``percent``."""
    at = pos if strand == "+" else pos + 1
    lines = (
        gzip.open(path, "rt").read().splitlines()
        if str(path).endswith(".gz")
        else path.read_text().splitlines()
    )
    edited = 0
    for i, line in enumerate(lines):
        fields = line.split("\t")
        if len(fields) > 10 and fields[0] == chrom and int(fields[1]) == at and fields[5] == strand:
            fields[10] = str(percent)
            lines[i] = "\t".join(fields)
            edited += 1
    assert edited == 1
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.mark.parametrize("strand", ["+", "-"])
def test_a_cpgs_own_calls_never_reach_its_input(tiny_cohort, tmp_path, strand):
    """Rebuild the shards from the raw file with one call of a test CpG changed (its own strand, or the
    other strand of its CpG): its neighbour tokens stay identical, its neighbours' do not."""
    sample = sorted(tiny_cohort["cpgs"])[0]
    sheet = pd.read_csv(tiny_cohort["root"] / "raw" / "samples.tsv", sep="\t").set_index("sample")
    raw = Path(sheet.loc[sample, "methylation"])
    reference = Reference(tiny_cohort["fasta"])
    table = pd.read_parquet(tiny_cohort["cpgs"][sample])
    chr3 = table[(table["chrom"] == "chr3") & (table["n_total"] >= 2)]
    target = int(chr3["pos"].iloc[len(chr3) // 2])
    old = float(chr3.set_index("pos").loc[target, "level"])
    edited = _edit_calls(raw, tmp_path / "edited.bed", "chr3", target, strand, 0 if old > 0.5 else 100)
    changed, _ = ingest(edited, reference, fmt="bedmethyl")
    assert not np.isclose(changed.set_index(["chrom", "pos"]).loc[("chr3", target), "level"], old)
    cohort = dict(tiny_cohort, cpgs={sample: tmp_path / "edited.parquet"})
    write_canonical(changed, cohort["cpgs"][sample])
    cohort["marks"] = {sample: tiny_cohort["marks"][sample]}
    original = dict(tiny_cohort, cpgs={sample: tiny_cohort["cpgs"][sample]}, marks=cohort["marks"])
    inputs = {}
    for name, source in (("original", original), ("edited", cohort)):
        data = ShardDataset(make_shards(source, tmp_path / name, neighbours=K), "test")
        rows = data.rows_table()
        batch = data.__getitems__(np.arange(len(data)))
        inputs[name] = {
            int(p): batch["nbr"][i].numpy() for i, p in enumerate(rows["pos"]) if rows["chrom"][i] == "chr3"
        }
    np.testing.assert_array_equal(inputs["edited"][target], inputs["original"][target])
    moved = [p for p in inputs["original"] if not np.array_equal(inputs["edited"][p], inputs["original"][p])]
    assert moved and target not in moved, "the edit reaches the neighbours' inputs, never the CpG's own"


def test_one_by_one_and_batched_are_identical(tiny_shards_with_neighbours):
    dataset = ShardDataset(tiny_shards_with_neighbours, "test")
    rows = np.arange(min(50, len(dataset)))
    batch = dataset.__getitems__(rows)
    torch.manual_seed(0)
    model = neighbour_hybrid(dataset)
    with torch.no_grad():
        together = model(*model_inputs(batch))["level"].numpy()
        for j, i in enumerate(rows):
            one = dataset.__getitems__([int(i)])
            for key in ("nbr", "nbr_mask", "seq", "hist"):
                np.testing.assert_array_equal(one[key][0].numpy(), batch[key][j].numpy())
            alone = model(*model_inputs(one))["level"].numpy()[0]
            assert alone == pytest.approx(together[j], abs=1e-6)


def test_the_model_reads_the_context_and_the_seeds_cnn_does_not(tiny_shards_with_neighbours):
    dataset = ShardDataset(tiny_shards_with_neighbours, "val")
    batch = dataset.__getitems__(np.arange(32))
    other = dict(batch, nbr=batch["nbr"].flip(0), nbr_mask=batch["nbr_mask"].flip(0))
    torch.manual_seed(0)
    hybrid = neighbour_hybrid(dataset)
    cnn = build_model(
        "cnn", len(dataset.marks), dataset.n_bins, dataset.window, n_context=dataset.n_context
    ).eval()
    with torch.no_grad():
        assert not torch.equal(hybrid(*model_inputs(batch))["level"], hybrid(*model_inputs(other))["level"])
        assert torch.equal(cnn(*model_inputs(batch))["level"], cnn(*model_inputs(other))["level"])
        with pytest.raises(ValueError, match="neighbour tokens"):
            hybrid(*model_inputs({k: v for k, v in batch.items() if k not in ("nbr", "nbr_mask")}))
    assert hybrid.spec["n_context"] == 2 * K and cnn.spec["n_context"] == 0


def test_the_neighbour_forest_reads_the_context(tiny_shards, tiny_shards_with_neighbours):
    table, record = fit_baseline("gbm_neighbours", tiny_shards_with_neighbours)
    names = record["features"]
    assert names[-2 * K * 3 :][:3] == [f"left{K}_level", f"left{K}_log10_coverage", f"left{K}_log10_distance"]
    assert names[-3:] == [f"right{K}_level", f"right{K}_log10_coverage", f"right{K}_log10_distance"]
    assert len(table) == len(ShardDataset(tiny_shards_with_neighbours, "test"))
    with pytest.raises(Exception, match="neighbour context"):
        fit_baseline("gbm_neighbours", tiny_shards)
