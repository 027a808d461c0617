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
