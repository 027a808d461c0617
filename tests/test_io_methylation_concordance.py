"""The sample's files checked against each other: the sum-of-others counts against a plain count."""

from collections import Counter

import numpy as np

from epibench.io.methylation.canonical import MergedCpgs, pooled_cpgs
from epibench.io.methylation.concordance import MIN_READS, file_holding_the_others, sum_of_others


def random_parts(rng: np.random.Generator, n_files: int) -> list[MergedCpgs]:
    """Files calling random overlapping CpGs (keys 0..299) with 0-30 reads each."""
    parts = []
    for _ in range(n_files):
        key = np.sort(rng.choice(300, size=int(rng.integers(50, 250)), replace=False)).astype(np.int64)
        n_total = rng.integers(1, 31, size=len(key))
        parts.append(MergedCpgs(key, rng.binomial(n_total, 0.6).astype(np.float64), n_total))
    return parts


def counted_by_hand(parts: list[MergedCpgs]) -> list[dict]:
    """``sum_of_others`` counted with dictionaries, one file at a time against the others' sums."""
    reads = [{int(k): (m, n) for k, m, n in zip(p.key, p.n_meth, p.n_total)} for p in parts]
    records = []
    for k, own in enumerate(reads):
        sums: Counter = Counter()
        for j, other in enumerate(reads):
            if j != k:
                for key, (m, n) in other.items():
                    sums[(key, "m")] += m
                    sums[(key, "n")] += n
                    sums[(key, "files")] += 1
        shared = [key for key, (m, n) in own.items() if n >= MIN_READS and sums[(key, "files")]]
        equal = [key for key in shared if own[key] == (sums[(key, "m")], sums[(key, "n")])]
        records.append({"file": k + 1, "n_shared": len(shared), "n_equal": len(equal)})
    return records


def test_sum_of_others_counts_as_a_file_by_file_comparison_does():
    rng = np.random.default_rng(5)
    for n_files in (2, 3, 4):
        parts = random_parts(rng, n_files)
        whole = pooled_cpgs(parts)[0]  # a file holding every other file's reads again
        parts_and_whole = parts + [whole]
        got = sum_of_others(parts_and_whole, pooled_cpgs(parts_and_whole)[0])
        assert got == counted_by_hand(parts_and_whole)
        assert got[-1]["n_equal"] == got[-1]["n_shared"] > 0


def test_only_the_file_holding_the_others_is_named():
    rng = np.random.default_rng(8)
    parts = random_parts(rng, 2)
    parts = [parts[0], pooled_cpgs(parts)[0], parts[1]]
    inputs = ["lane1.cov", "merged.cov", "lane2.cov"]
    path, message = file_holding_the_others([sum_of_others(parts, pooled_cpgs(parts)[0])], inputs)
    assert path == "merged.cov" and "lane1.cov, lane2.cov" in message
    lanes = [parts[0], parts[2]]
    assert file_holding_the_others([sum_of_others(lanes, pooled_cpgs(lanes)[0])], inputs[::2]) is None
