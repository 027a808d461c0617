"""Named motifs from attributions: TF-MoDISco patterns matched to JASPAR.

``discover_patterns`` runs TF-MoDISco (modisco-lite) on one-hot sequences and their hypothetical
contributions (epibench.interpret.hypothetical), keeps the patterns whose total contribution is at
least ``min_share`` of the strongest one's (modisco also returns many weak clusters) and trims each
to the positions whose contribution is >= ``TRIM_SHARE`` of its largest. ``jaspar_motifs`` reads the
JASPAR CORE matrices that pyjaspar ships (no network); ``match_patterns`` compares every pattern's
frequency matrix with them by TOMTOM (memelite; both strands), with Benjamini-Hochberg q-values over
the targets of each pattern, and writes one row per pattern (``MOTIF_COLUMNS``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.io.figures import save_figure

LETTERS = "ACGT"
TRIM_SHARE = 0.3  # positions kept: |contribution| >= this share of the pattern's largest
N_MATCHES = 3
# modisco-lite settings for a few thousand windows on a CPU in under a minute (the defaults, made for
# tens of thousands of regions, take ~10 min on 3,000 windows of 200 bp here)
MODISCO_SETTINGS = {
    "max_seqlets_per_metacluster": 1000,
    "n_leiden_runs": 2,
    "nearest_neighbors_to_compute": 200,
}
MOTIF_COLUMNS = (
    "pattern",
    "sign",
    "seqlets",
    "contribution",
    "consensus",
    "best_match",
    "best_match_id",
    "best_q",
    "matches",
)


@dataclass
class Pattern:
    """One TF-MoDISco pattern, trimmed: name (``positive_0``, ``negative_2``, ...), seqlets (count),
    contribution (sum of its contribution-weighted matrix: predicted level per seqlet, signed),
    ppm (L, 4) letter frequencies of its seqlets, cwm (L, 4) their mean contributions."""

    name: str
    seqlets: int
    contribution: float
    ppm: np.ndarray
    cwm: np.ndarray

    @property
    def consensus(self) -> str:
        """The most frequent letter at each position."""
        return "".join(LETTERS[i] for i in self.ppm.argmax(1))


def trimmed(ppm: np.ndarray, cwm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ppm``, ``cwm`` (L, 4) cut to the span of positions with |contribution| >= TRIM_SHARE x the largest."""
    size = np.abs(cwm).sum(1)
    keep = np.flatnonzero(size >= TRIM_SHARE * size.max())
    return ppm[keep.min() : keep.max() + 1], cwm[keep.min() : keep.max() + 1]


def discover_patterns(one_hot: np.ndarray, hypothetical: np.ndarray, min_share: float = 0.1) -> list[Pattern]:
    """TF-MoDISco patterns of windows ``one_hot`` and ``hypothetical`` (N, W, 4), strongest first
    (module docstring); [] when modisco finds none."""
    from modiscolite import tfmodisco  # numba: compiled on first use

    positive, negative = tfmodisco.TFMoDISco(
        one_hot=one_hot.astype(np.float32),
        hypothetical_contribs=hypothetical.astype(np.float32),
        verbose=False,
        **MODISCO_SETTINGS,
    )
    patterns = []
    for sign, found in (("positive", positive), ("negative", negative)):
        for i, pattern in enumerate(found or []):
            ppm, cwm = trimmed(np.asarray(pattern.sequence), np.asarray(pattern.contrib_scores))
            patterns.append(Pattern(f"{sign}_{i}", len(pattern.seqlets), float(cwm.sum()), ppm, cwm))
    if not patterns:
        return []
    strongest = max(abs(p.contribution) for p in patterns)
    kept = [p for p in patterns if abs(p.contribution) >= min_share * strongest]
    return sorted(kept, key=lambda p: -abs(p.contribution))


@dataclass
class MotifDatabase:
    """Target matrices: ids, names (K,) and frequency matrices (K entries of (4, L))."""

    release: str
    ids: list[str]
    names: list[str]
    ppms: list[np.ndarray]


def jaspar_motifs(release: str = "JASPAR2024", tax_group: str = "vertebrates") -> MotifDatabase:
    """The CORE matrices of ``tax_group`` in the JASPAR ``release`` that pyjaspar ships, as frequencies."""
    from pyjaspar import jaspardb

    motifs = jaspardb(release=release).fetch_motifs(collection="CORE", tax_group=[tax_group])
    ppms = []
    for motif in motifs:
        counts = np.array([motif.counts[letter] for letter in LETTERS], dtype=np.float64)
        ppms.append(counts / counts.sum(0, keepdims=True))
    return MotifDatabase(release, [m.matrix_id for m in motifs], [m.name for m in motifs], ppms)


def match_patterns(patterns: list[Pattern], database: MotifDatabase) -> pd.DataFrame:
    """One row per pattern (``MOTIF_COLUMNS``): its best JASPAR matches by TOMTOM p-value, with
    Benjamini-Hochberg q-values over the database (``matches``: the best ``N_MATCHES`` as
    ``NAME (ID) q=...``)."""
    from memelite import tomtom
    from scipy.stats import false_discovery_control

    rows = []
    p_values = tomtom([p.ppm.T for p in patterns], database.ppms)[0] if patterns else []
    for pattern, p in zip(patterns, p_values):
        q = false_discovery_control(np.clip(np.asarray(p, dtype=np.float64), 0, 1), method="bh")
        best = np.argsort(p, kind="stable")[:N_MATCHES]
        rows.append(
            {
                "pattern": pattern.name,
                "sign": "positive" if pattern.contribution > 0 else "negative",
                "seqlets": pattern.seqlets,
                "contribution": pattern.contribution,
                "consensus": pattern.consensus,
                "best_match": database.names[best[0]],
                "best_match_id": database.ids[best[0]],
                "best_q": float(q[best[0]]),
                "matches": "; ".join(f"{database.names[k]} ({database.ids[k]}) q={q[k]:.2g}" for k in best),
            }
        )
    return pd.DataFrame(rows, columns=list(MOTIF_COLUMNS))


def plot_patterns(
    patterns: list[Pattern], table: pd.DataFrame, database: MotifDatabase, stem: str | os.PathLike
) -> list[Path]:
    """Per pattern (up to 6, strongest first) its contribution logo beside the frequency logo of its
    best JASPAR match; one panel saying so when there is no pattern."""
    import logomaker  # imports pyplot

    shown = patterns[:6]
    fig = Figure(figsize=(10, 1.9 * max(len(shown), 1)))
    axes = fig.subplots(max(len(shown), 1), 2, squeeze=False)
    if not shown:
        axes[0, 0].text(0.5, 0.5, "TF-MoDISco found no pattern", ha="center", va="center")
        for ax in axes[0]:
            ax.set_axis_off()
    ids = {motif_id: k for k, motif_id in enumerate(database.ids)}
    for (left, right), pattern, row in zip(axes, shown, table.itertuples(index=False)):
        logomaker.Logo(
            pd.DataFrame(pattern.cwm, columns=list(LETTERS)),
            ax=left,
            color_scheme="classic",
            flip_below=False,
        )
        left.set(
            title=f"{pattern.name}: {pattern.seqlets} seqlets, {pattern.consensus}", ylabel="contribution"
        )
        target = database.ppms[ids[row.best_match_id]].T
        information = target * (2 + np.sum(target * np.log2(np.clip(target, 1e-9, 1)), 1, keepdims=True))
        logomaker.Logo(pd.DataFrame(information, columns=list(LETTERS)), ax=right, color_scheme="classic")
        right.set(title=f"{row.best_match} ({row.best_match_id}), q = {row.best_q:.2g}", ylabel="bits")
        for ax in (left, right):
            ax.title.set_fontsize(9)
    fig.tight_layout()
    return save_figure(fig, stem)
