"""Named motifs from attributions: TF-MoDISco patterns matched to JASPAR.

``discover_patterns`` runs TF-MoDISco (modisco-lite) on one-hot sequences and their hypothetical
contributions (epibench.interpret.hypothetical) and keeps the patterns whose core contribution is at
least ``min_share`` of the strongest one's (modisco also returns many weak clusters). A pattern's core
(``core_span``) is what gets named: the positions around its strongest one whose contribution is at
least ``TRIM_SHARE`` of that position's, gaps of up to ``CORE_GAP`` weaker positions bridged.
modisco-lite's report trims to the span from the first to the last such position anywhere in the
pattern, which for a diffuse pattern (a weak, AT-rich contribution spread over its 40-50 bp) keeps
everything, and a long low-information frequency matrix matches long zinc-finger matrices (CTCF,
ZNF354A) with tiny p-values. ``jaspar_motifs`` reads the JASPAR CORE matrices of one taxonomic group
that pyjaspar ships (no network; ``tax_group_for`` picks the group of the reference's assembly);
``match_patterns`` compares the frequency matrix of every pattern's core with them by TOMTOM
(memelite; both strands), with Benjamini-Hochberg q-values over the targets of each pattern, and writes
one row per pattern (``MOTIF_COLUMNS``). A core shorter than ``MIN_CORE`` or longer than ``MAX_CORE``
bp, or of letter frequencies carrying under ``MIN_BITS`` bits per position, is not matched: its row
says why (``note``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.io.figures import save_figure

LETTERS = "ACGT"
TRIM_SHARE = 0.3  # core positions: |contribution| >= this share of the pattern's largest (modisco-lite's 0.3)
CORE_GAP = 1  # weaker positions bridged inside a core (a palindrome's centre, AP-1's TGA-S-TCA)
# cores named: TOMTOM needs 5 overlapping positions (modisco-lite's -min-overlap 5); a core longer than
# 25 bp is a diffuse preference (GC or AT content), not one factor's site
MIN_CORE, MAX_CORE = 5, 25
# cores named: mean information (bits per position against a uniform background) of their letter
# frequencies at least this; every JASPAR2024 CORE matrix has >= 0.57 (the least: CTCF MA1929-30 and
# ZNF354A, which are what near-uniform cores of AT-rich seqlets match best, with tiny p-values)
MIN_BITS = 0.5
N_MATCHES = 3
# modisco-lite settings for a few thousand windows on a CPU in under a minute (the defaults, made for
# tens of thousands of regions, take ~10 min on 3,000 windows of 200 bp here)
MODISCO_SETTINGS = {
    "max_seqlets_per_metacluster": 1000,
    "n_leiden_runs": 2,
    "nearest_neighbors_to_compute": 200,
}
# JASPAR CORE's taxonomic groups (pyjaspar's JASPAR2024: 879 vertebrate, 805 plant, 286 insect, 178
# fungal, 103 nematode, 94 urochordate and 1 diatom matrices, latest versions), and all of them
TAX_GROUPS = ("vertebrates", "plants", "insects", "nematodes", "fungi", "urochordates", "diatoms", "all")
# the group of each known assembly (epibench.io.assemblies); a reference matching none gets vertebrates
ASSEMBLY_TAX_GROUP = {
    **dict.fromkeys(
        ("hg18", "hg19", "GRCh37", "hg38", "hs1", "mm9", "mm10", "mm39", "rn6", "danRer11"), "vertebrates"
    ),
    "dm6": "insects",
    "ce11": "nematodes",
    "sacCer3": "fungi",
    "TAIR10": "plants",
}
DEFAULT_TAX_GROUP = "vertebrates"
MOTIF_COLUMNS = (
    "pattern",
    "sign",
    "seqlets",
    "contribution",
    "consensus",
    "core_bp",
    "core_bits",
    "best_match",
    "best_match_id",
    "best_q",
    "matches",
    "note",
    "collection",
)


def bits_per_position(ppm: np.ndarray) -> np.ndarray:
    """(L,) information of letter frequencies ``ppm`` (L, 4) against a uniform background, bits (0: uniform,
    2: one letter)."""
    return 2 + np.sum(ppm * np.log2(np.clip(ppm, 1e-9, 1)), 1)


def core_span(cwm: np.ndarray) -> slice:
    """The core of a contribution-weighted matrix ``cwm`` (L, 4): from its largest position (|contribution|
    summed over letters) outwards while positions reach ``TRIM_SHARE`` of it, up to ``CORE_GAP`` weaker
    positions in a row bridged. A strong position further off, beyond a longer weak stretch, is left out."""
    size = np.abs(cwm).sum(1)
    strong = size >= TRIM_SHARE * size.max()
    peak = int(size.argmax())
    ends = []
    for step in (-1, 1):
        end = position = peak
        while 0 <= position + step < len(size) and abs(position + step - end) <= CORE_GAP + 1:
            position += step
            if strong[position]:
                end = position
        ends.append(end)
    return slice(ends[0], ends[1] + 1)


@dataclass
class Pattern:
    """One TF-MoDISco pattern. name: its sign and rank by |contribution| among the patterns of that sign
    (``negative_0``: the strongest that lowers the level); seqlets (count); ppm (L, 4) letter
    frequencies of its seqlets; cwm (L, 4) their mean contribution per letter (predicted level, signed);
    core: the positions named (``core_span``)."""

    name: str
    seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray
    core: slice

    @property
    def contribution(self) -> float:
        """Sum of the core's contribution-weighted matrix: predicted level per seqlet, signed."""
        return float(self.cwm[self.core].sum())

    @property
    def sign(self) -> str:
        """``positive``: the core raises the predicted methylation level (``contribution`` > 0);
        ``negative``: it lowers it."""
        return "positive" if self.contribution > 0 else "negative"

    @property
    def consensus(self) -> str:
        """The most frequent letter at each position of the core."""
        return "".join(LETTERS[i] for i in self.ppm[self.core].argmax(1))

    @property
    def bits(self) -> float:
        """Mean information of the core's letter frequencies, bits per position (0: uniform, 2: one letter)."""
        ppm = self.ppm[self.core]
        return float(np.mean(bits_per_position(ppm)))

    @property
    def note(self) -> str:
        """Why the core is not matched (too short, too long or too uninformative to name a factor);
        empty when it is."""
        length = self.core.stop - self.core.start
        if length < MIN_CORE:
            return f"not matched: core {length} bp < {MIN_CORE}"
        if length > MAX_CORE:
            return f"not matched: diffuse, core {length} bp > {MAX_CORE}"
        if self.bits < MIN_BITS:
            return f"not matched: near-uniform, core {self.bits:.2f} bits/position < {MIN_BITS}"
        return ""


def discover_patterns(one_hot: np.ndarray, hypothetical: np.ndarray, min_share: float = 0.1) -> list[Pattern]:
    """TF-MoDISco patterns of windows ``one_hot`` and ``hypothetical`` (N, W, 4), strongest (largest
    |contribution|) first, named by sign (``Pattern``); [] when modisco finds none."""
    from modiscolite import tfmodisco  # numba: compiled on first use

    positive, negative = tfmodisco.TFMoDISco(
        one_hot=one_hot.astype(np.float32),
        hypothetical_contribs=hypothetical.astype(np.float32),
        verbose=False,
        **MODISCO_SETTINGS,
    )
    found = []
    for pattern in [*(positive or []), *(negative or [])]:
        ppm, cwm = np.asarray(pattern.sequence), np.asarray(pattern.contrib_scores)
        found.append(Pattern("", len(pattern.seqlets), ppm, cwm, core_span(cwm)))
    if not found:
        return []
    strongest = max(abs(p.contribution) for p in found)
    kept = sorted(
        (p for p in found if abs(p.contribution) >= min_share * strongest), key=lambda p: -abs(p.contribution)
    )
    ranks = {"positive": 0, "negative": 0}
    for pattern in kept:
        pattern.name = f"{pattern.sign}_{ranks[pattern.sign]}"
        ranks[pattern.sign] += 1
    return kept


@dataclass
class MotifDatabase:
    """Target matrices: ids, names (K,) and frequency matrices (K entries of (4, L)); collection: the
    release, collection and taxonomic group they are (``JASPAR2024 CORE plants``)."""

    release: str
    ids: list[str]
    names: list[str]
    ppms: list[np.ndarray]
    collection: str = ""


def tax_group_for(setting: str, assembly: Mapping | None) -> tuple[str, str]:
    """The JASPAR taxonomic group matched against, and why (for the log): ``setting`` (``motifs.tax_group``)
    unless it is ``auto``; then the group of the assembly the reference matches, from its
    ``assembly.json`` (``epibench reference``: ``matched``, else ``nearest_assembly``) or None, and
    ``DEFAULT_TAX_GROUP`` when it is none known."""
    if setting != "auto":
        return setting, "motifs.tax_group"
    for name in [*(assembly or {}).get("matched", []), (assembly or {}).get("nearest_assembly")]:
        if name in ASSEMBLY_TAX_GROUP:
            return ASSEMBLY_TAX_GROUP[name], f"the reference is {name} (motifs.tax_group auto)"
    return (
        DEFAULT_TAX_GROUP,
        "the reference matches no known assembly (motifs.tax_group auto; set it for another)",
    )


def jaspar_motifs(release: str = "JASPAR2024", tax_group: str = DEFAULT_TAX_GROUP) -> MotifDatabase:
    """The CORE matrices of ``tax_group`` (one of ``TAX_GROUPS``; ``all``: every group) in the JASPAR
    ``release`` that pyjaspar ships, latest versions, as frequencies."""
    from pyjaspar import jaspardb

    if tax_group not in TAX_GROUPS:
        raise ValueError(f"JASPAR tax group {tax_group!r} is not one of {', '.join(TAX_GROUPS)}")
    groups = None if tax_group == "all" else [tax_group]
    motifs = jaspardb(release=release).fetch_motifs(collection="CORE", tax_group=groups)
    if not motifs:
        raise ValueError(f"{release} has no CORE matrix of tax group {tax_group!r}")
    ppms = []
    for motif in motifs:
        counts = np.array([motif.counts[letter] for letter in LETTERS], dtype=np.float64)
        ppms.append(counts / counts.sum(0, keepdims=True))
    ids, names = [m.matrix_id for m in motifs], [m.name for m in motifs]
    return MotifDatabase(release, ids, names, ppms, f"{release} CORE {tax_group}")


def match_patterns(patterns: list[Pattern], database: MotifDatabase) -> pd.DataFrame:
    """One row per pattern (``MOTIF_COLUMNS``): its core's best JASPAR matches by TOMTOM p-value, with
    Benjamini-Hochberg q-values over the database (``matches``: the best ``N_MATCHES`` as
    ``NAME (ID) q=...``); a core too short or too long is not matched (empty matches, ``note`` says
    why)."""
    from memelite import tomtom
    from scipy.stats import false_discovery_control

    named = [p for p in patterns if not p.note]
    p_values = (
        dict(zip((p.name for p in named), tomtom([p.ppm[p.core].T for p in named], database.ppms)[0]))
        if named
        else {}
    )
    rows = []
    for pattern in patterns:
        row = {
            "pattern": pattern.name,
            "sign": pattern.sign,
            "seqlets": pattern.seqlets,
            "contribution": pattern.contribution,
            "consensus": pattern.consensus,
            "core_bp": pattern.core.stop - pattern.core.start,
            "core_bits": pattern.bits,
            "best_match": "",
            "best_match_id": "",
            "best_q": np.nan,
            "matches": "",
            "note": pattern.note,
            "collection": database.collection,
        }
        if pattern.name in p_values:
            p = np.asarray(p_values[pattern.name], dtype=np.float64)
            q = false_discovery_control(np.clip(p, 0, 1), method="bh")
            best = np.argsort(p, kind="stable")[:N_MATCHES]
            row.update(
                best_match=database.names[best[0]],
                best_match_id=database.ids[best[0]],
                best_q=float(q[best[0]]),
                matches="; ".join(f"{database.names[k]} ({database.ids[k]}) q={q[k]:.2g}" for k in best),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(MOTIF_COLUMNS))


def plot_patterns(
    patterns: list[Pattern], table: pd.DataFrame, database: MotifDatabase, stem: str | os.PathLike
) -> list[Path]:
    """Per pattern (up to 6, strongest first) its contribution logo (the core matched shaded) beside the
    frequency logo of its core's best JASPAR match (or why it has none), under a title naming the
    collection; one panel saying so when there is no pattern."""
    import logomaker  # imports pyplot

    shown = patterns[:6]
    fig = Figure(figsize=(10, 1.9 * max(len(shown), 1) + 0.3))
    axes = fig.subplots(max(len(shown), 1), 2, squeeze=False)
    fig.suptitle(f"TF-MoDISco patterns matched against {database.collection}", fontsize=10)
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
        left.axvspan(pattern.core.start - 0.5, pattern.core.stop - 0.5, color="0.9", zorder=-1)
        left.set(
            title=f"{pattern.name}: {pattern.seqlets} seqlets, core {pattern.consensus}",
            ylabel="contribution",
        )
        if row.best_match_id:
            target = database.ppms[ids[row.best_match_id]].T
            information = target * bits_per_position(target)[:, None]
            logomaker.Logo(pd.DataFrame(information, columns=list(LETTERS)), ax=right, color_scheme="classic")
            right.set(title=f"{row.best_match} ({row.best_match_id}), q = {row.best_q:.2g}", ylabel="bits")
        else:
            right.text(0.5, 0.5, row.note, ha="center", va="center", fontsize=9, wrap=True)
            right.set_axis_off()
        for ax in (left, right):
            ax.title.set_fontsize(9)
    fig.tight_layout()
    return save_figure(fig, stem)
