"""Train/validation/test splits of a genome: held-out chromosomes, or held-out blocks.

A split plan is a table of intervals (chrom, start, end, split), 0-based half-open, that
tiles every reference sequence. Two ways to make one (``SplitSettings.mode``):

- ``chroms``: whole chromosomes held out (the seed's chr6/chr7 validation, chr8/chr9 test).
  Names are matched to the reference's (``6`` in the config serves ``chr6``).
- ``blocks``: for a cohort with few chromosomes (yeast, a test genome), every sequence is cut
  into ``block_bp`` blocks and ``val_fraction`` / ``test_fraction`` of them are held out (at
  least one block each). ``draw: spread`` (default) spaces the held-out blocks evenly along the
  genome from a seeded random start, validation and test in turn, so every sequence of a few
  blocks holds out its share of both; ``draw: random`` takes them from a seeded permutation of
  all blocks (a short sequence may then hold out none, or all its blocks).
- ``auto`` (default): ``chroms`` where at least one named validation and one named test
  chromosome exist in the reference and others are left to train on, ``blocks`` otherwise,
  the blocks shorter than ``block_bp`` on a genome that would cut into fewer than
  ``MIN_AUTO_BLOCKS`` (``_small_genome_blocks``).

A CpG belongs to the split of its position; it is kept only when its whole input span
(sequence window and histone bins, ``SplitMap.span_split``) lies in that one split, so no
test window overlaps a training window.

Organelles (the mitochondrion, a plant's plastids: ``epibench.io.chroms.organelles``) are not
nuclear chromatin (no nucleosomes, so no histone marks; a chloroplast is the bisulfite conversion
control, all but unmethylated): unless ``SplitSettings.organelles``, each is one ``left_out``
interval of the plan, in no split, and the splits are drawn from the other sequences. So are the
sequences beside the primary assembly (``epibench.io.chroms.non_primary``: alternate haplotypes
and HLA alleles, copies of a chromosome that may be held out, decoys, viruses, spike-ins) unless
``SplitSettings.alternates``: an alt of a test chromosome in training would leak its test CpGs.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.chroms import harmonise, non_primary, organelles
from epibench.codes import SPLITS

log = logging.getLogger(__name__)

SPLIT_COLUMNS = ("chrom", "start", "end", "split")
DROPPED = -1  # split code of a span that crosses a split boundary
LEFT_OUT = "left_out"  # the plan's name of a sequence in no split (an organelle)
_LEFT_OUT_CODE = -2
# auto's held-out blocks on a small genome: at least this many, of at least this many bp
MIN_AUTO_BLOCKS = 50
MIN_AUTO_BLOCK_BP = 10_000


@dataclass
class SplitSettings:
    """How to hold out data. block_bp in bp; fractions of all blocks (0-1)."""

    mode: str = "auto"
    val_chroms: list[str] = field(default_factory=lambda: ["chr6", "chr7"])
    test_chroms: list[str] = field(default_factory=lambda: ["chr8", "chr9"])
    block_bp: int = 1_000_000
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0
    draw: str = "spread"  # held-out blocks spaced evenly along the genome, or "random" (a permutation)
    organelles: bool = False  # the mitochondrion and plastids in the splits too (left out by default)
    alternates: bool = (
        False  # alt haplotypes, HLA alleles, decoys, viruses, spike-ins too (left out by default)
    )

    def __post_init__(self):
        if self.mode not in ("auto", "chroms", "blocks"):
            raise ValueError(f"split mode must be auto, chroms or blocks, got {self.mode!r}")
        if self.block_bp < 1:
            raise ValueError(f"split block_bp must be >= 1, got {self.block_bp}")
        if not (
            0 < self.val_fraction and 0 < self.test_fraction and self.val_fraction + self.test_fraction < 1
        ):
            raise ValueError("split val_fraction and test_fraction must be > 0 and sum to < 1")


def _matched(names: list[str], reference: list[str], aliases: Mapping[str, str] | None) -> list[str]:
    """The reference names of the config names that exist in the reference (or are aliases of its names)."""
    mapping = harmonise(names, reference, aliases)
    return [mapping[n] for n in names if mapping[n] is not None]


def plan_splits(
    chrom_sizes: dict[str, int], settings: SplitSettings, aliases: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, str]:
    """The split intervals tiling every sequence, and the mode used ("chroms" or "blocks").

    chrom_sizes: sequence name -> length (bp), in reference order; aliases: other name -> reference
    name (``Reference.aliases``), for the settings' chromosome names and the organelles' (module
    docstring: ``left_out`` rows unless ``settings.organelles``).
    """
    left_out = {} if settings.organelles else organelles(chrom_sizes, aliases)
    if left_out:
        log.info(
            "left out of the splits: %s (set split.organelles: true to keep them)",
            ", ".join(f"{name} ({kind})" for name, kind in left_out.items()),
        )
    others = {} if settings.alternates else non_primary(name for name in chrom_sizes if name not in left_out)
    if others:
        kinds = pd.Series(others).value_counts()
        log.info(
            "left out of the splits: %d sequences beside the primary assembly (%s; e.g. %s; set "
            "split.alternates: true to keep them)",
            len(others),
            ", ".join(f"{n} {kind}" for kind, n in kinds.items()),
            ", ".join(list(others)[:3]),
        )
        left_out = {**left_out, **others}
    nuclear = {name: length for name, length in chrom_sizes.items() if name not in left_out}
    if not nuclear:
        raise InputError(
            f"the reference holds organelles only ({', '.join(left_out)}): set split.organelles: true "
            "to train on them"
        )
    plan, mode = _nuclear_plan(nuclear, settings, aliases)
    if left_out:
        rows = pd.DataFrame([(c, 0, chrom_sizes[c], LEFT_OUT) for c in left_out], columns=SPLIT_COLUMNS)
        order = {name: i for i, name in enumerate(chrom_sizes)}
        plan = pd.concat([plan, rows]).sort_values("chrom", key=lambda c: c.map(order), kind="stable")
        plan = plan.reset_index(drop=True)
    return plan, mode


def _nuclear_plan(
    chrom_sizes: dict[str, int], settings: SplitSettings, aliases: Mapping[str, str] | None
) -> tuple[pd.DataFrame, str]:
    """:func:`plan_splits` of the sequences to split (``chrom_sizes``: the organelles left out)."""
    names = list(chrom_sizes)
    val = _matched(settings.val_chroms, names, aliases)
    test = [c for c in _matched(settings.test_chroms, names, aliases) if c not in val]
    usable = bool(val) and bool(test) and len(set(val) | set(test)) < len(names)
    if settings.mode == "chroms" and not usable:
        absent = [
            n for n in [*settings.val_chroms, *settings.test_chroms] if not _matched([n], names, aliases)
        ]
        # a reference of fewer than 3 sequences holds out no whole chromosome: no name to suggest
        few = len(names) < 3
        close = {n: [] if few else difflib.get_close_matches(n, names, n=1, cutoff=0.6) for n in absent}
        meant = [f"{n} (did you mean {c[0]}?)" if c else n for n, c in close.items()]
        shared = sorted(set(val) & set(_matched(settings.test_chroms, names, aliases)))
        raise InputError(
            f"split mode 'chroms' needs validation (split.val_chroms {settings.val_chroms}) and test "
            f"(split.test_chroms {settings.test_chroms}) chromosomes in the reference and one more to train on"
            + (f"; not in the reference: {', '.join(meant)}" if meant else "")
            + (f"; {', '.join(shared)} is named for both: hold each out for one" if shared else "")
            + f"; the reference has {names[:10]}"
            + (" ..." if len(names) > 10 else "")
            + (
                f": {len(names)} sequence{'s' if len(names) > 1 else ''} cannot hold out whole chromosomes for "
                "validation, test and training; set split.mode: blocks (held-out blocks of split.block_bp) "
                "or auto, or delete the split settings copied from the demo's config"
                if few
                else ""
            )
        )
    if settings.mode == "chroms" or (settings.mode == "auto" and usable):
        split = {c: "val" for c in val} | {c: "test" for c in test}
        rows = [(c, 0, length, split.get(c, "train")) for c, length in chrom_sizes.items()]
        return pd.DataFrame(rows, columns=SPLIT_COLUMNS), "chroms"
    if settings.mode == "auto":
        settings = _small_genome_blocks(chrom_sizes, settings)
    return _block_plan(chrom_sizes, settings), "blocks"


def _small_genome_blocks(chrom_sizes: dict[str, int], settings: SplitSettings) -> SplitSettings:
    """``settings`` for ``auto``'s held-out blocks: with ``block_bp`` where the sequences cut into
    at least ``MIN_AUTO_BLOCKS`` blocks, else with blocks of 1/``MIN_AUTO_BLOCKS`` of their length
    (at least ``MIN_AUTO_BLOCK_BP``), so that the held-out shares are near the fractions asked for
    (three 200-kb chromosomes in 1-Mb blocks would be a third each)."""
    total = sum(chrom_sizes.values())
    if total // settings.block_bp >= MIN_AUTO_BLOCKS:
        return settings
    block_bp = max(MIN_AUTO_BLOCK_BP, total // MIN_AUTO_BLOCKS)
    if block_bp >= settings.block_bp:
        return settings
    log.info(
        "held-out blocks of %s bp, not split.block_bp's %s: the %s bp to split cut into fewer than %d blocks "
        "(set split.mode: blocks to keep split.block_bp)",
        f"{block_bp:,}",
        f"{settings.block_bp:,}",
        f"{total:,}",
        MIN_AUTO_BLOCKS,
    )
    return replace(settings, block_bp=block_bp)


def _block_plan(chrom_sizes: dict[str, int], settings: SplitSettings) -> pd.DataFrame:
    """Blocks of ``block_bp`` (a tail shorter than half a block joins the block before it), the
    fractions of them nearest to ``val_fraction`` and ``test_fraction`` held out."""
    rows = []
    for chrom, length in chrom_sizes.items():
        n_blocks = max(1, round(length / settings.block_bp))
        edges = [min(i * settings.block_bp, length) for i in range(n_blocks)] + [length]
        rows += [(chrom, start, end) for start, end in zip(edges[:-1], edges[1:])]
    n = len(rows)
    if n < 3:
        raise InputError(
            f"the reference cuts into {n} block(s) of {settings.block_bp} bp: too few for train, "
            "validation and test; lower shards.split.block_bp"
        )
    # the nearest counts: 10 % of 49 blocks is 5, not 4 (a fifth less held out than asked)
    n_val = max(1, round(settings.val_fraction * n))
    n_test = max(1, round(settings.test_fraction * n))
    if n_val + n_test >= n:
        raise InputError(
            f"the reference cuts into {n} blocks of {settings.block_bp} bp: {n_val} validation and {n_test} test "
            "blocks leave none to train on; lower shards.split.block_bp or the held-out fractions"
        )
    draw = _spread_blocks if settings.draw == "spread" else _random_blocks
    split = draw(n, n_val, n_test, np.random.default_rng(settings.seed))
    return pd.DataFrame([(*r, s) for r, s in zip(rows, split)], columns=SPLIT_COLUMNS)


def _random_blocks(n: int, n_val: int, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) split names: ``n_val`` and ``n_test`` blocks of a random permutation of the ``n`` held out."""
    order = rng.permutation(n)
    split = np.full(n, "train", dtype=object)
    split[order[:n_val]] = "val"
    split[order[n_val : n_val + n_test]] = "test"
    return split


def _spread_blocks(n: int, n_val: int, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) split names of the ``n`` blocks in genome order: ``n_val + n_test`` (< n) held out, one
    every n / (n_val + n_test) blocks from a random start (systematic sampling), validation and test
    interleaved as evenly as their counts allow, the first of them chosen at random."""
    held_out = n_val + n_test
    chosen = np.floor((np.arange(held_out) + rng.random()) * n / held_out).astype(np.int64)
    kinds = np.array(["val"] * n_val + ["test"] * n_test, dtype=object)
    # each kind's k-th block at (k + 0.5) / its count along the genome
    along = np.concatenate([(np.arange(n_val) + 0.5) / n_val, (np.arange(n_test) + 0.5) / n_test])
    kinds = kinds[np.argsort(along, kind="stable")]
    if rng.random() < 0.5:
        kinds = kinds[::-1]
    split = np.full(n, "train", dtype=object)
    split[chosen] = kinds
    return split


class SplitMap:
    """Split codes of positions, from a split plan table."""

    def __init__(self, plan: pd.DataFrame):
        """plan: rows of chrom, start, end, split (``SPLIT_COLUMNS``), in any order. One sort of the
        whole plan, then a slice per sequence (a draft assembly's plan has a row per scaffold)."""
        codes = {name: code for code, name in enumerate(SPLITS)} | {LEFT_OUT: _LEFT_OUT_CODE}
        chrom_codes, names = pd.factorize(plan["chrom"])
        starts = plan["start"].to_numpy(np.int64)
        order = np.lexsort((starts, chrom_codes))
        split_codes = plan["split"].map(codes).to_numpy(np.int8)[order]
        starts, chrom_codes = starts[order], chrom_codes[order]
        bounds = np.flatnonzero(np.diff(chrom_codes)) + 1
        first_rows = np.r_[0, bounds] if len(order) else np.empty(0, np.int64)
        self._starts: dict[str, np.ndarray] = dict(
            zip(names[chrom_codes[first_rows]], np.split(starts, bounds))
        )
        self._codes: dict[str, np.ndarray] = dict(
            zip(names[chrom_codes[first_rows]], np.split(split_codes, bounds))
        )

    def is_left_out(self, chrom: str) -> bool:
        """Whether the plan leaves ``chrom`` out of every split (an organelle)."""
        return chrom in self._codes and bool((self._codes[chrom] == _LEFT_OUT_CODE).all())

    def split_at(self, chrom: str, pos: np.ndarray) -> np.ndarray:
        """Split code of each 0-based position of ``chrom``; (N,) int8."""
        if chrom not in self._starts:
            raise InputError(f"sequence {chrom!r} is not in the split plan (rebuild the shard plan)")
        index = np.searchsorted(self._starts[chrom], np.asarray(pos, dtype=np.int64), side="right") - 1
        return self._codes[chrom][np.clip(index, 0, None)]

    def span_split(self, chrom: str, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Split code of each span [first, last] (0-based, inclusive; clipped to the sequence
        start), or DROPPED where its two ends lie in different splits or in none; (N,) int8.

        Exact when every block is at least as long as a span (``check_block_size``).
        """
        at_first = self.split_at(chrom, np.maximum(first, 0))
        at_last = self.split_at(chrom, np.maximum(last, 0))
        return np.where((at_first == at_last) & (at_first >= 0), at_first, DROPPED).astype(np.int8)


def check_block_size(plan: pd.DataFrame, span_bp: int, path: str | Path | None = None) -> None:
    """Stop when a held-out block is shorter than a CpG's input span (its windows could hop it)."""
    lengths = plan["end"] - plan["start"]
    short = plan[(lengths < span_bp) & (plan.groupby("chrom")["chrom"].transform("size") > 1)]
    if not short.empty:
        row = short.iloc[0]
        raise InputError(
            f"split block {row['chrom']}:{row['start']}-{row['end']} is shorter than a CpG's input span "
            f"({span_bp} bp); raise shards.split.block_bp",
            path=path,
        )


def write_split_plan(plan: pd.DataFrame, path: str | Path) -> None:
    """The plan as a headerless BED4 (chrom, start, end, split), written atomically."""
    with atomic_path(path) as tmp:
        plan.loc[:, list(SPLIT_COLUMNS)].to_csv(tmp, sep="\t", header=False, index=False)


def read_split_plan(path: str | Path) -> pd.DataFrame:
    """Read a plan written by ``write_split_plan`` (or one a user brings: BED4 with split names)."""
    plan = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=SPLIT_COLUMNS,
        dtype={"chrom": str},
        comment="#",
    )
    bad = plan[~plan["split"].isin([*SPLITS, LEFT_OUT])]
    if not bad.empty:
        # the file line of that table row: pandas skipped comment and blank lines
        with open(path) as fh:
            data_lines = [n for n, text in enumerate(fh, start=1) if text.split("#", 1)[0].strip()]
        raise InputError(
            f"split {bad['split'].iloc[0]!r} is not one of {[*SPLITS, LEFT_OUT]}",
            path=path,
            line=data_lines[int(bad.index[0])],
        )
    return plan


def split_counts_bp(plan: pd.DataFrame) -> dict[str, int]:
    """Base pairs held by each split, and left out of all (``left_out``)."""
    lengths = (plan["end"] - plan["start"]).groupby(plan["split"]).sum()
    return {name: int(lengths.get(name, 0)) for name in (*SPLITS, LEFT_OUT)}


def blocks_spanned(plan: pd.DataFrame, split: str, block_bp: int, enough: int) -> int:
    """How many genomic blocks of ``block_bp`` (chrom, pos // block_bp: the bootstrap's) the intervals
    of ``split`` touch, counted up to ``enough`` (a whole genome's are not all listed)."""
    seen: set[tuple[str, int]] = set()
    rows = plan[plan["split"] == split]
    for chrom, start, end in zip(rows["chrom"], rows["start"], rows["end"]):
        for block in range(int(start) // block_bp, (int(end) - 1) // block_bp + 1):
            seen.add((chrom, block))
            if len(seen) >= enough:
                return len(seen)
    return len(seen)
