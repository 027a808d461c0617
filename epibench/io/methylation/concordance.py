"""Whether the files of one sample (replicates, lanes) agree before their reads are pooled.

ENCODE's WGBS standard asks two replicates of a sample for a Pearson correlation of at least 0.8
between their methylation levels at the CpGs each read at least 10 times. A file of another
sample put under this one (a swapped or mislabelled replicate) correlates less, and pooling it
would blend two methylomes into one sample's labels. Each group job sums, for every pair of the
sample's files, the levels of the CpGs both read ``MIN_READS`` times (``pair_sums``: n and the
sums of x, y, x^2, y^2, xy, which add across groups); the sample's summary turns the totals into
one correlation per pair (``concordance``) and warns below ``MIN_PEARSON``.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from epibench.io.methylation.canonical import MergedCpgs

MIN_READS = 10  # reads at a CpG in each file for it to count (ENCODE's standard)
MIN_PEARSON = 0.8  # ENCODE's standard for replicates
MIN_CPGS_JUDGED = 100  # fewer CpGs read in both: the correlation is given, not judged
SUMS = ("n", "sx", "sy", "sxx", "syy", "sxy")


def pair_sums(first: MergedCpgs, second: MergedCpgs, min_reads: int = MIN_READS) -> dict[str, float]:
    """``SUMS`` of the levels (x: ``first``'s, y: ``second``'s) at the CpGs both read ``min_reads`` times."""
    deep_first, deep_second = first.n_total >= min_reads, second.n_total >= min_reads
    _, in_first, in_second = np.intersect1d(
        first.key[deep_first], second.key[deep_second], assume_unique=True, return_indices=True
    )
    x = (first.n_meth[deep_first] / first.n_total[deep_first])[in_first].astype(np.float64)
    y = (second.n_meth[deep_second] / second.n_total[deep_second])[in_second].astype(np.float64)
    return dict(zip(SUMS, (len(x), x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())))


def file_pair_sums(parts: list[MergedCpgs]) -> list[dict]:
    """One record per pair of the files (``parts``, numbered from 1): ``files`` [k, l] and ``pair_sums``."""
    return [
        {"files": [k + 1, l + 1], **pair_sums(parts[k], parts[l])}
        for k, l in combinations(range(len(parts)), 2)
    ]


def pearson(sums: dict[str, float]) -> float | None:
    """Pearson's r from ``SUMS``; None with fewer than 3 CpGs or a constant level."""
    n = sums["n"]
    if n < 3:
        return None
    cov = sums["sxy"] - sums["sx"] * sums["sy"] / n
    var_x, var_y = sums["sxx"] - sums["sx"] ** 2 / n, sums["syy"] - sums["sy"] ** 2 / n
    if var_x <= 0 or var_y <= 0:
        return None
    return float(cov / np.sqrt(var_x * var_y))


def concordance(group_pairs: list[list[dict]], inputs: list[str]) -> tuple[list[dict], list[str]]:
    """The sample's files' agreement from each group's ``file_pair_sums``: one record per pair
    (``files``: their paths, ``n_cpgs_compared``, ``pearson``), and a warning per pair of at least
    ``MIN_CPGS_JUDGED`` CpGs whose r is below ``MIN_PEARSON``."""
    totals: dict[tuple[int, int], dict[str, float]] = {}
    for pairs in group_pairs:
        for pair in pairs:
            total = totals.setdefault(tuple(pair["files"]), dict.fromkeys(SUMS, 0.0))
            for key in SUMS:
                total[key] += pair[key]
    records, warnings = [], []
    for (k, l), sums in totals.items():
        r, n = pearson(sums), int(sums["n"])
        files = [inputs[k - 1], inputs[l - 1]]
        records.append({"files": files, "n_cpgs_compared": n, "pearson": r})
        if r is not None and n >= MIN_CPGS_JUDGED and r < MIN_PEARSON:
            warnings.append(
                f"its files {files[0]} and {files[1]} agree poorly: Pearson r {r:.2f} between their levels at the "
                f"{n:,} CpGs both read at least {MIN_READS} times (ENCODE's replicate standard: >= {MIN_PEARSON}); "
                "a file of another sample under this one? Their reads were pooled all the same"
            )
    return records, warnings


# a file whose reads at nearly every CpG equal the sum of the sample's other files' holds those files'
# reads again (modkit's plain pileup beside its --partition-tag HP pileups, a merged file beside its lanes)
MIN_SHARE_EQUAL_TO_SUM = 0.95


def sum_of_others(parts: list[MergedCpgs], pooled: MergedCpgs, min_reads: int = MIN_READS) -> list[dict]:
    """Per file (``parts``, numbered from 1; ``pooled``: their ``pooled_cpgs``): ``n_shared``, its CpGs
    read ``min_reads`` times that another file of the sample also called, and ``n_equal``, those where
    its methylated and total reads both equal the other files' sums (sums that add across groups).
    A file's reads equal the others' sum where they are half of all the files' reads at that CpG."""
    at_pooled = [np.searchsorted(pooled.key, part.key) for part in parts]
    n_files = sum(np.bincount(where, minlength=len(pooled.key)) for where in at_pooled)
    records = []
    for k, (part, where) in enumerate(zip(parts, at_pooled)):
        deep = part.n_total >= min_reads
        shared = deep & (n_files[where] > 1)
        here, there = shared.nonzero()[0], where[shared]
        equal = (2 * part.n_total[here] == pooled.n_total[there]) & (
            2 * part.n_meth[here] == pooled.n_meth[there]
        )
        records.append({"file": k + 1, "n_shared": len(here), "n_equal": int(equal.sum())})
    return records


def file_holding_the_others(group_sums: list[list[dict]], inputs: list[str]) -> tuple[str, str] | None:
    """(path, message) for the first file whose reads equal the sum of the sample's other files at
    ``MIN_SHARE_EQUAL_TO_SUM`` of at least ``MIN_CPGS_JUDGED`` shared CpGs (``sum_of_others`` of each
    group); None when no file does."""
    totals: dict[int, list[int]] = {}
    for records in group_sums:
        for record in records:
            total = totals.setdefault(record["file"], [0, 0])
            total[0] += record["n_shared"]
            total[1] += record["n_equal"]
    for k, (n_shared, n_equal) in sorted(totals.items()):
        if n_shared >= MIN_CPGS_JUDGED and n_equal >= MIN_SHARE_EQUAL_TO_SUM * n_shared:
            others = [path for j, path in enumerate(inputs, 1) if j != k]
            return (
                inputs[k - 1],
                f"this file holds the reads of the sample's other file(s) again: at {n_equal:,} of the "
                f"{n_shared:,} CpGs it read at least {MIN_READS} times that they also called, its methylated and "
                f"total reads equal theirs summed ({', '.join(others)}); pooled, every read would count twice. "
                "Give either the whole file or its parts (modkit's plain pileup or its --partition-tag "
                "haplotype pileups; a merged file or its lanes), not both",
            )
    return None
