"""ShuffledBatches and make_loader: every row once per epoch, reproducible from (seed, epoch),
the same batches with or without workers, split over ranks and resumable mid-epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from epibench.data.dataset import ShardDataset
from epibench.data.loader import ShuffledBatches, make_loader
from epibench.errors import InputError


def _epoch(
    sampler: ShuffledBatches, epoch: int = 0, start_batch: int = 0
) -> list[tuple[list[int], list[bool]]]:
    """(row indices, flips) of every batch the sampler yields for ``epoch``."""
    sampler.set_epoch(epoch, start_batch)
    return [(r.indices.tolist(), r.flip.tolist()) for r in sampler]


def _sampler(n_rows=1_000, batch_size=64, shuffle=True, seed=0, **kwargs) -> ShuffledBatches:
    kwargs = {"reverse_complement_prob": 0.5, "block_rows": 8, "pool_blocks": 4, **kwargs}
    return ShuffledBatches(n_rows, batch_size, shuffle, seed, **kwargs)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n_rows, batch_size", [(1_000, 64), (1_024, 64), (37, 5), (3, 10)])
def test_every_row_comes_once_per_epoch(shuffle, n_rows, batch_size):
    sampler = _sampler(n_rows, batch_size, shuffle)
    batches = _epoch(sampler, epoch=2)
    rows = [i for indices, _ in batches for i in indices]
    assert sorted(rows) == list(range(n_rows))
    assert all(len(indices) == batch_size for indices, _ in batches[:-1])
    assert len(batches) == len(sampler) == -(-n_rows // batch_size)
    if shuffle:
        assert rows != list(range(n_rows)) or n_rows < 4
    else:
        assert rows == list(range(n_rows)), "no shuffle: rows in order"
        assert not any(f for _, flips in batches for f in flips), "no shuffle: no reverse complement"


@pytest.mark.parametrize("n_rows, passes", [(1_000, 2), (1_000, 3.5), (37, 4), (100, 0.5)])
def test_an_epoch_of_several_passes_shuffles_the_rows_afresh_each_pass(n_rows, passes):
    """passes: an epoch goes over the rows ``passes`` times (the learning curve's matched steps), each
    whole pass a permutation of its own, the last one cut where the epoch's rows run out."""
    sampler = _sampler(n_rows, 64, passes=passes)
    batches = _epoch(sampler, epoch=1)
    rows = [i for indices, _ in batches for i in indices]
    assert len(rows) == round(n_rows * passes) and len(batches) == len(sampler) == -(-len(rows) // 64)
    whole = [rows[k * n_rows : (k + 1) * n_rows] for k in range(int(passes))]
    assert all(sorted(one) == list(range(n_rows)) for one in whole)
    assert all(a != b for a, b in zip(whole, whole[1:])), "each pass in an order of its own"
    assert (
        len(set(rows[int(passes) * n_rows :])) == len(rows) - int(passes) * n_rows
    ), "a part pass: rows once"
    assert _epoch(_sampler(n_rows, 64, passes=passes), epoch=1) == batches
    ranks = [_epoch(_sampler(n_rows, 64, passes=passes, rank=r, world_size=2), epoch=1) for r in (0, 1)]
    assert ranks[0] + ranks[1] == batches[0 : 2 * len(ranks[0]) : 2] + batches[1 : 2 * len(ranks[0]) : 2]


@pytest.mark.parametrize("passes, shuffle", [(0, True), (-1, True), (2, False)])
def test_passes_must_be_positive_and_one_without_shuffling(passes, shuffle):
    with pytest.raises(ValueError, match="passes"):
        _sampler(passes=passes, shuffle=shuffle)


def test_same_seed_and_epoch_give_the_same_batches_and_flips():
    first = _epoch(_sampler(seed=3), epoch=5)
    again = _epoch(_sampler(seed=3), epoch=5)
    assert first == again
    flips = [f for _, batch_flips in first for f in batch_flips]
    assert 0.3 < np.mean(flips) < 0.7, "about half the rows flipped at probability 0.5"
    # the same sampler asked twice for an epoch repeats it
    sampler = _sampler(seed=3)
    assert _epoch(sampler, 5) == _epoch(sampler, 5) == first


def test_another_epoch_or_seed_gives_another_order_and_flips():
    base = _epoch(_sampler(seed=3), epoch=5)
    for other in (_epoch(_sampler(seed=3), epoch=6), _epoch(_sampler(seed=4), epoch=5)):
        assert [i for b, _ in other for i in b] != [i for b, _ in base for i in b]
        assert [f for _, b in other for f in b] != [f for _, b in base for f in b]


def test_flip_probability_zero_and_one():
    never = _epoch(_sampler(reverse_complement_prob=0.0))
    always = _epoch(_sampler(reverse_complement_prob=1.0))
    assert not any(f for _, flips in never for f in flips)
    assert all(f for _, flips in always for f in flips)


@pytest.mark.parametrize("n_rows", [1_000, 1_024, 65])
def test_ranks_get_disjoint_equal_shares_of_the_single_process_order(n_rows):
    single = _epoch(_sampler(n_rows, 64, seed=9), epoch=1)
    ranks = [_epoch(_sampler(n_rows, 64, seed=9, rank=r, world_size=2), epoch=1) for r in (0, 1)]
    per_rank = len(single) // 2
    assert [len(r) for r in ranks] == [per_rank, per_rank]
    for rank, batches in enumerate(ranks):
        assert batches == single[rank : 2 * per_rank : 2], (
            "rank r takes batches r, r + 2, ... with their flips"
        )
    rows = [{i for b, _ in batches for i in b} for batches in ranks]
    assert not rows[0] & rows[1]
    assert rows[0] | rows[1] == {i for b, _ in single[: 2 * per_rank] for i in b}


def test_a_bad_rank_is_refused():
    with pytest.raises(ValueError, match="rank"):
        _sampler(rank=2, world_size=2)


@pytest.mark.parametrize("world_size", [1, 3])
@pytest.mark.parametrize("start_batch", [0, 1, 4, 15])
def test_resuming_at_a_batch_yields_the_rest_of_the_epoch(world_size, start_batch):
    for rank in range(world_size):
        full = _epoch(_sampler(seed=2, rank=rank, world_size=world_size), epoch=3)
        resumed = _epoch(_sampler(seed=2, rank=rank, world_size=world_size), epoch=3, start_batch=start_batch)
        assert resumed == full[start_batch:]
    # set_epoch resets the start: the next epoch runs from its first batch
    sampler = _sampler(seed=2)
    _epoch(sampler, epoch=3, start_batch=4)
    sampler.set_epoch(4)
    assert len(list(sampler)) == len(sampler)


@pytest.mark.parametrize(
    "n_rows, batch_size, world_size", [(1_000, 64, 1), (1_000, 64, 2), (1_000, 64, 3), (7, 2, 4)]
)
def test_len_is_the_number_of_batches_yielded(n_rows, batch_size, world_size):
    for rank in range(world_size):
        for shuffle in (True, False):
            sampler = _sampler(n_rows, batch_size, shuffle, rank=rank, world_size=world_size)
            assert len(sampler) == len(_epoch(sampler))


# ---------------------------------------------------------------- over a real ShardDataset


@pytest.fixture(scope="module")
def dataset(tiny_shards) -> ShardDataset:
    """Training rows of both samples, chromosomes held out (chr1 train), one shard per sample and chromosome."""
    return ShardDataset(tiny_shards, "train")


def _loader_batches(dataset, num_workers: int, epoch: int) -> list[dict[str, torch.Tensor]]:
    loader = make_loader(dataset, 64, True, seed=1, reverse_complement_prob=0.5, num_workers=num_workers)
    loader.batch_sampler.set_epoch(epoch)
    return list(loader)


def test_workers_give_the_same_batches_as_the_main_process(dataset):
    plain = _loader_batches(dataset, 0, epoch=2)
    workers = _loader_batches(dataset, 2, epoch=2)
    assert len(plain) == len(workers) == -(-len(dataset) // 64)
    for a, b in zip(plain, workers):
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), key
    rows = torch.cat([b["index"] for b in plain])
    assert sorted(rows.tolist()) == list(range(len(dataset)))


def test_loader_batches_follow_the_sampler_rows_and_flips(dataset):
    loader = make_loader(dataset, 64, True, seed=1, reverse_complement_prob=0.5)
    loader.batch_sampler.set_epoch(0)
    requests = list(loader.batch_sampler)
    batches = list(loader)
    for request, batch in zip(requests, batches):
        assert batch["index"].tolist() == request.indices.tolist()
        flipped = request.flip
        assert flipped.any() and not flipped.all()
        plain = dataset.__getitems__(list(request.indices))
        assert torch.equal(batch["seq"][~flipped], plain["seq"][~flipped])
        assert torch.equal(batch["hist"][flipped], plain["hist"][flipped].flip(-1))


def test_shuffled_batches_mix_rows_of_different_shards_and_samples(dataset):
    samples = dataset.rows_table()["sample"]
    batches = _loader_batches(dataset, 0, epoch=0)
    for batch in batches[:-1]:
        index = batch["index"].numpy()
        shards, _ = dataset.rows.locate(index)
        assert len(set(samples[index])) == 2
        assert len(np.unique(shards)) >= 2
    # in order (evaluation), a batch holds consecutive rows, mostly of one shard
    ordered = make_loader(dataset, 64, False)
    ordered.batch_sampler.set_epoch(0)
    first = next(iter(ordered))
    assert first["index"].tolist() == list(range(64))
    assert len(set(samples[:64])) == 1


def test_mark_dropout_hides_whole_marks_of_training_rows_reproducibly(dataset):
    loader = make_loader(dataset, 64, True, seed=3, mark_dropout=0.3)
    loader.batch_sampler.set_epoch(1)
    requests = list(loader.batch_sampler)
    again = make_loader(dataset, 64, True, seed=3, mark_dropout=0.3).batch_sampler
    again.set_epoch(1)
    assert all(np.array_equal(a.drop, b.drop) for a, b in zip(requests, again))
    drops = np.concatenate([r.drop for r in requests])
    assert drops.shape == (len(dataset), len(dataset.marks))
    assert 0.25 < drops.mean() < 0.35
    request = requests[0]
    batch = dataset.__getitems__(request)
    plain = dataset.__getitems__(list(request.indices))
    dropped = torch.from_numpy(request.drop)
    assert not batch["hist_mask"][dropped].any() and (batch["hist"][dropped] == 0).all()
    kept = ~dropped
    assert torch.equal(batch["hist_mask"][kept], plain["hist_mask"][kept])
    assert torch.equal(batch["hist"][kept], plain["hist"][kept])
    # evaluation never drops
    ordered = make_loader(dataset, 64, False, mark_dropout=0.3).batch_sampler
    assert all(r.drop is None for r in ordered)


def test_hidden_marks_are_missing_in_every_row(tiny_shards):
    data = ShardDataset(tiny_shards, "test")
    shown = data.__getitems__(list(range(32)))
    data.hide_marks([data.marks[1]])
    hidden = data.__getitems__(list(range(32)))
    assert not hidden["hist_mask"][:, 1].any() and (hidden["hist"][:, 1] == 0).all()
    assert shown["hist_mask"][:, 1].any()
    for mark in (0, 2):
        assert torch.equal(hidden["hist"][:, mark], shown["hist"][:, mark])
    with pytest.raises(InputError, match="not in the shards"):
        data.hide_marks(["H3K9me3"])
