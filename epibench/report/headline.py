"""The report's first screen: which model won, by how much, on which held-out data."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.data.splits import LEFT_OUT, read_split_plan, split_counts_bp
from epibench.evaluate.leaderboard import CONTEXT_MODE, CEILING, verdict
from epibench.evaluate.block_sizes import narrow_intervals
from epibench.evaluate.paired import NO_INTERVAL
from epibench.io.chroms import non_primary, organelles


def _interval(row: pd.Series, metric: str, digits: int) -> str:
    """The value and its 95 % interval; "no 95 % CI" where it has none (fewer than 10 test blocks), not "nan-nan"."""
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    if pd.isna(low) or pd.isna(high):
        return f"{row[metric]:.{digits}f} (no 95 % CI: too few genomic blocks in the test data)"
    return f"{row[metric]:.{digits}f} (95 % CI {low:.{digits}f}-{high:.{digits}f})"


_PLURALS = {"mitochondrion": "mitochondria", "virus": "viruses"}  # the others take an s


def _counted(n: int, noun: str) -> str:
    """``n`` and the noun, plural but for one: "1 sample", "2,040 samples", "2 mitochondria"."""
    return f"{n:,} {noun if n == 1 else _PLURALS.get(noun, noun + 's')}"


def held_out_text(plan: pd.DataFrame, scored: pd.DataFrame | None = None) -> str:
    """The test split in words: its sequences (or blocks) and how many bases, and, with ``scored``,
    how many of its intervals hold the scored CpGs (a targeted cohort's few).

    plan: shards/plan/splits.bed as ``read_split_plan`` gives it (chrom, start, end, split; 0-based
    half-open). scored: the test CpGs, chrom and pos (0-based).
    """
    test = plan[plan["split"] == "test"]
    bases = split_counts_bp(plan)
    share = bases["test"] / sum(bases.values())
    chroms = list(pd.unique(test["chrom"]))
    named = ", ".join(chroms[:6]) + (f" and {len(chroms) - 6} more" if len(chroms) > 6 else "")
    text = f"{named} ({_counted(len(test), 'held-out interval')}, {bases['test']:,} bp, {share:.0%} of the genome"
    if scored is not None:
        holding = test[_holds_any(test, scored)]
        if len(holding) < len(test):
            span = int((holding["end"] - holding["start"]).sum())
            text += f"; the scored CpGs lie in {len(holding):,} of them, {span:,} bp"
    return text + ")"


def _holds_any(intervals: pd.DataFrame, points: pd.DataFrame) -> np.ndarray:
    """(len(intervals),) bool: whether each interval [start, end) of its chrom holds a point's pos."""
    holds = np.zeros(len(intervals), dtype=bool)
    for chrom, rows in intervals.groupby("chrom", sort=False):
        pos = np.sort(points.loc[points["chrom"] == chrom, "pos"].to_numpy(np.int64))
        first = np.searchsorted(pos, rows["start"].to_numpy(np.int64), side="left")
        past = np.searchsorted(pos, rows["end"].to_numpy(np.int64), side="left")
        holds[intervals.index.get_indexer(rows.index)] = past > first
    return holds


def trained_text(
    plan: pd.DataFrame, train_rows: int | None = None, model: str = "", aliases: dict[str, str] | None = None
) -> str:
    """The training split in words, with the CpG measurements ``model`` trained on where given, and
    what lies in no split (``left_out``: ``left_out_text``; aliases: other name -> reference name, the
    reference stage's chrom_aliases.tsv, by which an accession is known for a mitochondrion)."""
    bases = split_counts_bp(plan)
    total = sum(bases.values())
    train = plan[plan["split"] == "train"]
    text = f"{bases['train']:,} bp of {_counted(train['chrom'].nunique(), 'sequence')}, {bases['train'] / total:.0%} of the genome"
    if train_rows is not None:
        text += f" ({model}: {_counted(train_rows, 'CpG measurement')})"
    left_out = list(pd.unique(plan.loc[plan["split"] == LEFT_OUT, "chrom"]))
    if left_out:
        text += f"; {_counted(len(left_out), 'sequence')} in no split ({bases[LEFT_OUT]:,} bp: {left_out_text(left_out, aliases)})"
    return text


def left_out_text(names: list[str], aliases: dict[str, str] | None = None) -> str:
    """What the sequences in no split are, by the names the split stage left them out by
    (epibench.data.splits: organelles, sequences beside the primary assembly; "other" for what
    neither names, a plan a user brought): "NC_002333.2 (mitochondrion)" for one, else counts of
    each kind and the first three names: "1 mitochondrion, 24 alternate haplotypes; e.g. chrM, ..."."""
    kinds = {**non_primary(names), **organelles(names, aliases)}
    if len(names) == 1:
        return f"{names[0]} ({kinds.get(names[0], 'other')})"
    counts = Counter(kinds.get(name, "other") for name in names)  # in the order of their first name
    return f"{', '.join(_counted(n, kind) for kind, n in counts.items())}; e.g. {', '.join(names[:3])}"


def scored_text(metrics: pd.DataFrame, model: str) -> str:
    """How many test CpGs (and methylated ones, where the table counts them) and samples ``model`` was
    scored on (metrics.tsv as epibench.evaluate.writers.read_metrics reads it: n and n_methylated
    overall, n per sample)."""
    mine = metrics[metrics["model"] == model]
    counts = mine[mine["scope"] == "overall"].set_index("metric")["value"]
    text = _counted(int(counts.get("n", 0)), "CpG measurement")
    if "n_methylated" in counts.index:
        text += f" ({int(counts['n_methylated']):,} methylated)"
    samples = int(((mine["scope"] == "sample") & (mine["metric"] == "n")).sum())
    return f"{text} of {_counted(samples, 'sample')}"


def unclear_lead(winner: pd.Series, runner_up: pd.Series, new: str) -> str:
    """ "" where ``winner`` (a leaderboard row) is clearly ahead of ``runner_up`` on AUROC, else the
    words that say why it is not. Only the leaderboard's paired verdicts decide (epibench.evaluate.paired:
    the 95 % interval of the difference, both models on the same draws), and paired.tsv holds the new
    model against each other one: between two other models there is no verdict, and the words say so."""
    if new not in (winner["model"], runner_up["model"]):
        return "; paired.tsv compares each model with the new one only: no verdict between these two"
    other = runner_up if winner["model"] == new else winner
    verdict = other["new_beats_on_auroc"]
    if verdict == ("yes" if winner["model"] == new else "no"):
        return ""
    if verdict == "unclear":
        return "; the paired 95 % interval of their AUROC difference holds 0: not clearly ahead"
    if verdict == NO_INTERVAL:
        return (
            "; their AUROC difference has no paired interval (too few genomic blocks in the test data, "
            "or one class only): not clearly ahead"
        )
    return (
        f"; on the CpGs both score, the paired interval of their AUROC difference favours "
        f"{html.escape(runner_up['model'])}: not clearly ahead"
    )


def block_caveat(block_sizes: pd.DataFrame) -> str:
    """A sentence where ``block_sizes`` (evaluation/block_sizes.tsv) finds intervals at the configured
    block too narrow (epibench.evaluate.block_sizes.narrow_intervals): the paired ones the verdicts read,
    else the models' own (the headline's brackets); "" where none is. Short: the figure has the widths."""
    narrow = narrow_intervals(block_sizes)
    if any(other for _, other, _ in narrow):
        return "Longer genomic blocks widen the paired intervals (block_sizes.png): the verdicts may be optimistic."
    if narrow:
        return "Longer genomic blocks widen the bracketed intervals, not the paired ones (block_sizes.png)."
    return ""


NAMED_SAMPLES = 3  # samples named per kind in a sentence, the rest counted


def modification_caveat(cg_check: pd.DataFrame | None) -> str:
    """A sentence where the samples count different modifications as methylated (``cg_check``:
    qc/cg_check.tsv, its ``counts_as_methylated``: 5mC alone against 5mC+5hmC), naming up to
    ``NAMED_SAMPLES`` samples of each kind; "" where they agree, or where no file says."""
    if cg_check is None or "counts_as_methylated" not in cg_check.columns:
        return ""
    said = cg_check[cg_check["counts_as_methylated"].fillna("").astype(str) != ""]
    kinds = said.groupby("counts_as_methylated", sort=True)["sample"].unique()
    if len(kinds) < 2:
        return ""
    named = [
        f"{what}: {', '.join(samples[:NAMED_SAMPLES])}"
        + (f" and {len(samples) - NAMED_SAMPLES:,} more" if len(samples) > NAMED_SAMPLES else "")
        for what, samples in kinds.items()
    ]
    return (
        f"The samples count different modifications as methylated ({'; '.join(named)}; qc/cg_check.tsv): "
        "their levels differ by the 5hmC share for a reason of processing, not biology."
    )


def headline_html(
    table: pd.DataFrame,
    metrics: pd.DataFrame,
    splits_bed: Path,
    new: str,
    original: str,
    block_sizes: pd.DataFrame | None = None,
    scored: pd.DataFrame | None = None,
    train_rows: int | None = None,
    aliases: dict[str, str] | None = None,
    cg_check: pd.DataFrame | None = None,
) -> str:
    """One paragraph: the winner by test AUROC (the ceiling aside) in the seed's mode (sequence + marks;
    the neighbour mode has its own verdict, and its best model is named where it scores higher), its margin over the original model and the runner-up
    (not clearly ahead as ``unclear_lead`` judges), the held-out data it was measured on, and the
    leaderboard's verdict, and ``block_caveat`` of ``block_sizes`` (evaluation/block_sizes.tsv) where
    given. The winner is called "Highest test AUROC", not "Winner", where its lead is not clear.
    table: leaderboard.tsv (writers.read_model_table); scored: the test CpGs' chrom and pos (0-based),
    whose held-out intervals ``held_out_text`` counts; train_rows: the CpG measurements the new model
    trained on (model.json's n_train_rows): a targeted cohort's few, in a training split of megabases;
    aliases: the reference's other names (``trained_text``); cg_check: qc/cg_check.tsv, for
    ``modification_caveat``."""
    seed_mode = table[(table["kind"] != CEILING) & (table["mode"] != CONTEXT_MODE)]
    ranked = seed_mode.sort_values("auroc", ascending=False, kind="stable")
    winner, runner_up = ranked.iloc[0], ranked.iloc[1] if len(ranked) > 1 else None
    rows = table.set_index("model")
    role = " (the new model)" if winner["model"] == new else " (not the new model)"
    unclear = unclear_lead(winner, runner_up, new) if runner_up is not None else ""
    title = "Highest test AUROC" if unclear else "Winner"  # no winner on a lead the data do not hold
    parts = [
        f"<b>{title}: {html.escape(winner['model'])}</b>{role}, test AUROC {_interval(winner, 'auroc', 3)}, "
        f"MSE {_interval(winner, 'mse', 4)}."
    ]
    context = table[(table["kind"] != CEILING) & (table["mode"] == CONTEXT_MODE)]
    best_context = context.loc[context["auroc"].idxmax()] if len(context) else None
    if best_context is not None and best_context["auroc"] > winner["auroc"]:
        # the winner is of the models without the neighbour context: said where one with it scores higher
        parts.append(
            f"(Of the models without the neighbour context; with it, {html.escape(best_context['model'])} "
            f"scores higher: AUROC {best_context['auroc']:.3f}.)"
        )
    if original in rows.index and winner["model"] != original:
        base = rows.loc[original]
        mse_change = winner["mse"] - base["mse"]
        parts.append(
            f"Against the original model ({html.escape(original)}, AUROC {base['auroc']:.3f}, MSE {base['mse']:.4f}): "
            f"{winner['auroc'] - base['auroc']:+.3f} AUROC, {mse_change:+.4f} MSE "
            f"({'lower: better' if mse_change < 0 else 'higher: worse'}"
            f"{unclear if runner_up is not None and runner_up['model'] == original else ''})."
        )
    if runner_up is not None and runner_up["model"] != original:
        parts.append(
            f"Runner-up: {html.escape(runner_up['model'])} (AUROC {runner_up['auroc']:.3f}, "
            f"{winner['auroc'] - runner_up['auroc']:+.3f} behind{unclear})."
        )
    plan = read_split_plan(splits_bed)
    parts.append(
        f"Held-out test data: {html.escape(scored_text(metrics, winner['model']))} on "
        f"{html.escape(held_out_text(plan, scored))}, never used for training or model selection. "
        f"Trained on {html.escape(trained_text(plan, train_rows, new, aliases))}."
    )
    parts.append(
        html.escape(verdict(table[table["mode"] != CONTEXT_MODE], new))
    )  # the neighbour mode: its caption
    if block_sizes is not None:
        parts.append(html.escape(block_caveat(block_sizes)))
    parts.append(html.escape(modification_caveat(cg_check)))
    return "<p class='headline'>" + " ".join(parts) + "</p>"
