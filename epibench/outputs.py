"""The catalogue of a cohort's results: every file under ``results/<cohort>/``, the stage (Snakemake rule
and ``epibench`` subcommand) that writes it, what it shows and where the report puts it.

The workflow's rules declare their outputs through it (``workflow/rules/common.smk``: ``result``), its
target lists and the Snakemake report's captions are generated from it, and the cohort page
(``epibench.report.cohort``) lists its files in its order with its captions. A new output is one entry here.

Patterns are relative to the cohort's results folder, with Snakemake wildcards in braces: ``sample``,
``model``, ``ensemble``, ``baseline``, ``group``, ``sample_to_predict`` is spelt ``sample`` too (an entry's
``each`` says which list a wildcard runs over). A caption may name its wildcards and ``{new}`` and
``{original}`` (the models the comparison sets against each other).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import product

# report sections (the cohort page's and the Snakemake report's categories), in page order
SECTIONS = ("QC", "Training", "Evaluation", "Interpretation", "Motifs", "Variants", "Imputation")
# cohort features an output needs (``Output.when``): see ``CohortPlan.features``
FEATURES = ("marks", "ablation", "covariates", "loso", "learning_curve", "extras", "variants", "auto_block")

_WILDCARD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Output:
    """One result file (or folder) of a cohort.

    pattern: path under ``results/<cohort>/``, with wildcards in braces.
    stage: the rule that writes it (named as the ``epibench`` subcommand it runs, where there is one).
    caption: how to read it (report page and Snakemake report); empty for intermediate files.
    section: the report section listing it (one of SECTIONS); empty: not in the report.
    when: the cohort feature it needs (one of FEATURES); empty: every cohort has it.
    each: wildcard -> the list of the cohort it runs over (``CohortPlan.values``), where that is not
        the list named after the wildcard (e.g. ``{"sample": "to_predict"}``).
    folder: the output is a folder (its files belong to this entry).
    """

    pattern: str
    stage: str
    caption: str = ""
    section: str = ""
    when: str = ""
    each: Mapping[str, str] = field(default_factory=dict)
    folder: bool = False

    def __post_init__(self):
        if self.section and self.section not in SECTIONS:
            raise ValueError(f"{self.pattern}: section {self.section!r} is not one of {SECTIONS}")
        if self.when and self.when not in FEATURES:
            raise ValueError(f"{self.pattern}: when {self.when!r} is not one of {FEATURES}")
        if self.section and not self.caption:
            raise ValueError(f"{self.pattern}: a file in the report needs a caption")

    @property
    def wildcards(self) -> list[str]:
        """The wildcard names of the pattern, in order."""
        return _WILDCARD.findall(self.pattern)

    def regex(self) -> re.Pattern:
        """The pattern as a regex, one named group per wildcard (a value holds no ``/``)."""
        parts = _WILDCARD.split(self.pattern)
        text = "".join(f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts))
        return re.compile(text)

    def list_name(self, wildcard: str) -> str:
        """The ``CohortPlan.values`` list this wildcard runs over."""
        return self.each.get(wildcard, wildcard)


@dataclass(frozen=True)
class CohortPlan:
    """What a cohort's config makes of the catalogue: the lists wildcards run over and the features on.

    values: list name -> its values (``sample``: samples with methylation calls, ``to_predict``:
        those without, ``model``: the config's models, ``new``: the new model, ``ensemble``, ``baseline``).
    features: the FEATURES this cohort has.
    """

    values: Mapping[str, list[str]]
    features: frozenset[str]

    def paths(self, output: Output) -> list[str]:
        """The output's files for this cohort (none when it needs a feature the cohort lacks)."""
        if output.when and output.when not in self.features:
            return []
        names = output.wildcards
        lists = [self.values[output.list_name(name)] for name in names]
        return [output.pattern.format(**dict(zip(names, combo))) for combo in product(*lists)]


def _o(pattern: str, stage: str, caption: str = "", section: str = "", when: str = "", **each: str) -> Output:
    return Output(pattern, stage, caption, section, when, each)


def _folder(pattern: str, stage: str) -> Output:
    return Output(pattern, stage, folder=True)


_TEST = "on the held-out test data"
_INTERVALS = "with 95 % bootstrap intervals"

CATALOGUE: tuple[Output, ...] = (
    # reference and annotation
    _o("reference/genome.fa", "reference"),
    _o("reference/genome.fa.fai", "reference"),
    _o("reference/chrom_sizes.tsv", "reference"),
    _o(
        "reference/chrom_aliases.tsv",
        "reference",
        "Other names of the reference's sequences, from its FASTA definition lines (NCBI: chromosome 1, "
        "mitochondrion) and the alias table the config gives (reference.chrom_aliases), matched in every input.",
        "QC",
    ),
    _o(
        "reference/assembly.json",
        "reference",
        "The reference's sequence lengths against known assemblies (hg18, hg19, hg38, T2T-CHM13, mm9, mm10, "
        "mm39, ...): the assembly it matches, or the nearest and how it differs.",
        "QC",
    ),
    _o("regions/cpg_regions.parquet", "regions"),
    _o(
        "regions/summary.tsv",
        "regions",
        "CpGs of the reference per region class (promoter > enhancer > gene body > intergenic).",
        "QC",
    ),
    _o(
        "reference/chrom_names.tsv",
        "regions",
        "Chromosome names of the annotation files matched to the reference: dropped, renamed (chr1/1, "
        "chrM/MT) or kept, and why (dropped names first, then renamed).",
        "QC",
    ),
    # input checks and methylation calls
    _o(
        "qc/cg_check.tsv",
        "check_inputs",
        "CG check of every sample before ingest: share of calls on a reference CpG as read (the accepted "
        "fit: shift 0), moved one base either way and with - strand calls on the C (empty, -, for a file of "
        "strand-merged calls, which has none); a sample fits only as read. A strand-merged call counts on "
        "either base of its CpG, so one base to the right puts a merged file's C on its G: its +1 share is "
        "as high as its share as read, and the tie goes to as read. counts_as_methylated: 5mC (a modkit "
        "pileup's code m) or 5mC+5hmC (bisulfite, EM-seq, TAPS, modkit --combine-mods or modkit_5mc_5hmc); "
        "a cohort that mixes them has levels apart by the 5hmC share.",
        "QC",
    ),
    _o(
        "qc/input_lengths.tsv",
        "check_inputs",
        "Histone bigWig sequences whose header length differs from the reference's (empty: every length agrees).",
        "QC",
    ),
    _folder("qc/inputs_checked", "check_inputs"),
    _o("qc/{sample}/cg_fit.json", "fit_calls"),
    _o("qc/{sample}/chrom_names.tsv", "sample_chrom_names"),
    _o(
        "qc/sample_chrom_names.tsv",
        "chrom_names",
        "Chromosome names of every methylation and histone file matched to the reference: dropped (a "
        "dropped name loses that data), renamed or kept, in that order.",
        "QC",
    ),
    _o("marks/{sample}/{mark}.bw", "mark_bigwig"),
    _folder("methylation/{sample}/calls", "ingest_split"),
    _o("qc/{sample}/read.json", "ingest_split"),
    _o("methylation/{sample}/cpgs/{group}.parquet", "ingest_group"),
    _o("qc/{sample}/{group}.ingest.json", "ingest_group"),
    _o(
        "qc/{sample}.ingest.json",
        "ingest_summary",
        "Ingest QC of sample {sample}: records read, CpGs kept, share of calls on a reference CG and on a "
        "cytosine of any context (a file of every context keeps its CpGs), coverage, and the warnings.",
        "QC",
    ),
    _o(
        "qc/{sample}.qc.png",
        "qc",
        "Quality control of sample {sample}'s methylation calls after ingest, on the sequences of the splits "
        "(the mitochondrion and alternate haplotypes left out): the read-coverage histogram "
        "(CpGs below the minimum coverage are already dropped) and the distribution of methylation levels per "
        "region class. Promoters are expected to be mostly unmethylated and gene bodies mostly methylated; a "
        "flat or inverted picture suggests a sample or annotation problem.",
        "QC",
    ),
    _o("qc/{sample}.qc.pdf", "qc"),
    _o(
        "qc/{sample}.qc.tsv",
        "qc",
        "Sample {sample}: coverage and methylation summary per region class.",
        "QC",
    ),
    # shards
    _o("shards/plan/groups.tsv", "shard_plan"),
    _o("shards/plan/splits.bed", "shard_plan"),
    _o("shards/plan/splits.tsv", "shard_plan"),
    _o(
        "shards/plan/splits.png",
        "shard_plan",
        "Held-out data: every reference sequence as a bar coloured by the split its bases belong to (train, "
        "validation, test). Whole chromosomes are held out where the configured ones exist (split.val_chroms, "
        "split.test_chroms), otherwise blocks of split.block_bp. CpGs whose input window crosses a split "
        "boundary are left out of every split, so no test window overlaps a training window.",
        "QC",
    ),
    _o("shards/plan/splits.pdf", "shard_plan"),
    _folder("shards/{sample}/{group}", "shards"),
    # models
    _o("models/{model}/model.safetensors", "train"),
    _o("models/{model}/model.json", "train"),
    _o("models/{model}/checkpoint.pt", "train"),
    _o("models/{model}/.train.lock", "train"),  # epibench.train.folder_lock: who trains it now
    _o("models/{model}/train_history.log", "train"),  # every run's log, resumes appended
    _o(
        "models/{model}/loss.png",
        "train",
        "Training (one value per epoch, averaged over its batches) and validation loss of model {model}: "
        "weighted MSE of the methylation level plus the BCE of the methylated call. The dotted line marks the "
        "epoch whose weights were kept (lowest validation loss); a validation curve that rises while training "
        "falls is overfitting, and early stopping ends training after train.patience such epochs.",
        "Training",
    ),
    _o(
        "models/{model}/metrics.csv",
        "train",
        "Per-epoch training log of model {model} (loss, validation AUROC, learning rate, speed).",
        "Training",
    ),
    # predictions
    _o("evaluation/predictions/{model}.parquet", "predict"),
    _o("evaluation/predictions/{baseline}.parquet", "baseline"),
    _o("evaluation/baselines/{baseline}.json", "baseline"),
    _o("evaluation/predictions/{ensemble}.parquet", "ensemble"),
    # evaluation tables and figures
    _o(
        "evaluation/leaderboard.tsv",
        "leaderboard",
        f"Every model and baseline {_TEST}: overall AUROC and MSE {_INTERVALS}, training cost (seconds per "
        "epoch for deep models, summed over members for ensembles, fit seconds for baselines) and peak memory, "
        "and whether the new model beats each one, from paired.tsv (both scored on the same bootstrap draws): "
        '"yes" where the 95 % interval of the difference excludes 0 on the new model\'s side, "no" on the '
        'other side, "unclear" where it holds 0; two intervals drawn apart can overlap where the paired '
        "difference does not. The intervals resample the test data with both trained models held fixed, "
        "not the training's own randomness: a copy of the new model trained with another seed can differ "
        'from it by a "yes" or "no" too: a model configured twice but for its seed is named in seed_replicate_of, '
        'left out of the verdict\'s "every other model", and the seed note below gives its gap and the models '
        "no farther from the new model. Baselines: logistic/linear regression on GC content "
        "and CpG density (logreg_gc_cpg) and gradient-boosted trees on binned histone signal, region class and "
        "CpG density (gbm_histone, the feature tiers of Zhang et al. 2015); in a cohort without marks the same "
        'trees on region class, CpG density and GC alone (gbm_region). A "ceiling" row, where the config gives '
        "a truth table (the demo generator's true probabilities), is the best any model could do. mode: the "
        'comparison a row takes part in ("sequence + marks", or what else the cohort\'s models read beside '
        'the sequence, "sequence + covariates" say: the models compared without the neighbouring CpGs\' '
        'levels; "+ neighbours": with them), not the inputs of that model: logreg_gc_cpg reads GC '
        "content and CpG density alone.",
        "Evaluation",
    ),
    _o(
        "evaluation/paired.tsv",
        "paired",
        "The new model against each model the leaderboard compares it with (the new model of the row's "
        "mode), both scored on the same "
        "bootstrap draws (of CpGs, or of genomic blocks with evaluate.bootstrap_block_bp): difference = new "
        "minus other (AUROC: above 0 is better; MSE: below 0 is better) with its 95 % interval, and the "
        'verdict: "better" or "worse" where the interval excludes 0, "unclear" where it holds it, "no '
        'interval" where the test data spans fewer than 10 genomic blocks (or holds one class). Two models '
        "that err on the same regions have overlapping intervals and still separate here. The leaderboard's "
        "verdict columns are these verdicts.",
        "Evaluation",
    ),
    _o(
        "evaluation/comparison.tsv",
        "compare",
        "The original model ({original}) against the new one ({new}): each overall test metric, training time "
        "per epoch and peak memory of both, and improvement: how much better the new model is, as a fraction "
        "of the original's value (0.107 = 10.7 % better; positive where an error such as MSE falls or a score "
        "such as AUROC rises, negative where the new model is worse). Read it beside metrics.tsv, whose "
        "confidence intervals say whether a difference is real.",
        "Evaluation",
    ),
    _o(
        "evaluation/comparison.png",
        "figure",
        "The original model ({original}) against the new one ({new}), one bar per metric or cost (time per "
        "epoch, peak memory): how much better the new model is, in % of the original's value (right, green: "
        "better; left, red: worse, whether the metric is better higher or lower); beside each bar both values "
        "and the signed change of the value. No intervals here: metrics.tsv and the leaderboard have them.",
        "Evaluation",
    ),
    _o(
        "evaluation/roc.png",
        "figure",
        f"ROC curves {_TEST}, one line per model and baseline (and the ceiling on the demo): true-positive "
        "against false-positive rate as the threshold on the predicted probability of methylation moves. The "
        "area under each curve is its AUROC in metrics.tsv.",
        "Evaluation",
    ),
    _o(
        "evaluation/pr.png",
        "figure",
        f"Precision-recall curves {_TEST}, one line per model and baseline. Most CpGs are methylated, so a "
        "model that calls everything methylated already has high precision: compare the curves against that "
        "base rate, not against zero.",
        "Evaluation",
    ),
    _o(
        "evaluation/per_region.png",
        "figure",
        "AUROC and MSE per region class (promoter, enhancer, gene body, intergenic) for every model, "
        f"{_INTERVALS}: where each model is strong or weak. Under each class its methylated and total test CpG "
        "measurements; hatched AUROC bars rank fewer than 10 methylated (or unmethylated) ones, however narrow "
        "their interval.",
        "Evaluation",
    ),
    _o(
        "evaluation/pred_vs_obs.png",
        "figure",
        f"Predicted against observed methylation level {_TEST}, one density panel per model (colour: CpGs "
        "per hexagon, one log scale for every panel, yellow the most). A good model concentrates along the diagonal; observed levels are noisy at low coverage, so "
        "even the ceiling spreads around it.",
        "Evaluation",
    ),
    *(
        _o(f"evaluation/{name}.pdf", "figure")
        for name in ("comparison", "roc", "pr", "per_region", "pred_vs_obs")
    ),
    _o(
        "evaluation/metrics.tsv",
        "metrics",
        "Evaluation metrics on the held-out test chromosomes, in long form: one row per model, scope (overall, "
        "region class, sample, chromosome), scope value and metric, with a 95 % bootstrap confidence interval "
        "(genomic blocks of evaluate.bootstrap_block_bp resampled, or CpGs within each sample where it is 0; none "
        "where a scope spans fewer than 10 blocks: a handful of blocks makes an interval too narrow); n counts "
        "the test CpG measurements of a scope, n_methylated those methylated (the positives AUROC ranks: with a "
        "handful of either kind its interval means little). Correlations are computed per sample across CpGs; for the overall "
        'scope they are averaged over samples. The "ceiling" model, where present, is the demo generator\'s '
        "true methylation probability: no model can rank (AUROC) or fit (MSE) this data better; it is no bound "
        "on calibration (ECE), since the true probability is not the chance that a level read from a few reads "
        "reaches the threshold. ECE, a mean of absolute gaps, grows with sampling noise, which resampling "
        "adds: its interval lies above the estimate where a scope holds few CpGs (hundreds), at times "
        "without it; read it as the spread, not as bounds on the estimate.",
        "Evaluation",
    ),
    _o(
        "evaluation/per_sample.tsv",
        "per_sample",
        f"Each sample's test AUROC and MSE {_INTERVALS} ({{new}} and {{original}}), beside what explains them: "
        "the mean read depth of its test CpGs, its methylation files and how they agree (replicate_pearson: "
        "the lowest Pearson r of two of its files' levels, ENCODE asks replicates for >= 0.8), the share of "
        "its CpGs dropped below "
        "ingest.min_coverage, the marks it lacks, and its counting noise: the MSE that the binomial noise of "
        "levels read from few reads gives even a perfect model (mean level(1-level)/(reads-1)). "
        "mse_beyond_noise, MSE minus that noise, is what the model adds: rank samples by it, not by MSE.",
        "Evaluation",
    ),
    _o(
        "evaluation/per_sample.png",
        "per_sample",
        "Test AUROC and MSE per sample, worst first by the MSE beyond the counting noise, mean of {original} "
        "and {new} (the black line: "
        "the part of the MSE that comes from reading levels from few reads); under each sample its mean read "
        "depth, its files and the marks it lacks. A cohort of more than 40 samples shows its 40 worst "
        "(per_sample.tsv has every sample).",
        "Evaluation",
    ),
    _o("evaluation/per_sample.pdf", "per_sample"),
    _o(
        "evaluation/by_covariate.png",
        "by_covariate",
        f"Every model and baseline on the test CpGs of the samples in each stratum of the sample covariates: "
        "one stratum per level of a categorical covariate, two (at or below and above the median) for a "
        f"numeric one. AUROC and MSE {_INTERVALS}; a model that does much worse in one stratum (tumours, low "
        "purity) does not generalise across the cohort's heterogeneity.",
        "Evaluation",
        "covariates",
    ),
    _o("evaluation/by_covariate.pdf", "by_covariate", when="covariates"),
    _o(
        "evaluation/by_covariate.tsv",
        "by_covariate",
        "Metrics per model and covariate stratum, with the samples in each.",
        "Evaluation",
        "covariates",
    ),
    _o(
        "evaluation/loso.png",
        "loso",
        "Leave-one-sample-out: for each sample, the new model ({new}) trained again without that sample and "
        'scored on its test CpGs ("sample held out"), beside the model trained on every sample scored on the '
        f'same CpGs ("within cohort") and the control ("control: every sample, the same share of CpGs": '
        "trained on every sample but on the share of the training CpGs a held-out run keeps, so with about its "
        f"number of optimizer steps). AUROC and MSE {_INTERVALS}. A held-out run trains the same epochs on fewer "
        "CpGs: its gap to the cohort model is the unseen sample and the smaller training budget together; its "
        "gap to the control is what a sample the model never saw costs.",
        "Evaluation",
        "loso",
    ),
    _o("evaluation/loso.pdf", "loso", when="loso"),
    _o(
        "evaluation/loso.tsv",
        "loso",
        "Leave-one-sample-out: AUROC and MSE per held-out sample, within cohort, held out and the control of "
        "the same training budget (see the figure).",
        "Evaluation",
        "loso",
    ),
    _o(
        "evaluation/learning_curve.png",
        "learning_curve",
        "Learning curve: the learning_curve.model retrained on a share of the training CpGs (blocks of "
        'neighbouring CpGs, seeded), from random weights ("from scratch") and, where learning_curve.pretrained '
        'is set, starting from that pretrained model ("fine-tuned"); every run scored on the same held-out '
        "test CpGs, with 95 % bootstrap bands. When the pretrained model was trained on this cohort's own "
        "training data (as in the demo), the fine-tuned runs have seen every training CpG once already: the "
        "curve then shows what the pretrained start is worth, not transfer between cohorts. The title says how "
        "the runs' optimizer steps compare (learning_curve.tsv's steps column): with learning_curve.budget "
        "epochs (the default) every run trains the configured epochs, so a share of the CpGs is that share of "
        "the steps too and the curve is data and training budget together (on the quick demo the hybrid on "
        "25 % reached AUROC 0.858 in its epochs, 0.937 given the full run's steps); budget steps gives every "
        "run the full run's steps, so the curve is data alone.",
        "Evaluation",
        "learning_curve",
    ),
    _o("evaluation/learning_curve.pdf", "learning_curve", when="learning_curve"),
    _o(
        "evaluation/learning_curve.tsv",
        "learning_curve",
        "Learning curve: one row per run (start, share of training CpGs, rows trained on, test AUROC and MSE "
        "with 95 % intervals).",
        "Evaluation",
        "learning_curve",
    ),
    _o(
        "evaluation/calibration.png",
        "calibration",
        "Calibration of the predicted probability of methylation on the test CpGs. Left: test CpGs in ten "
        "bins of predicted probability, the observed share methylated against the bin's mean prediction "
        f"{_INTERVALS}; a calibrated model follows the diagonal, one above it is underconfident, below it "
        "overconfident. The legend gives each model's expected calibration error (ECE: the CpG-weighted mean "
        "gap to the diagonal). Right: the CpGs per bin (log scale).",
        "Evaluation",
        "extras",
    ),
    _o("evaluation/calibration.pdf", "calibration", when="extras"),
    _o(
        "evaluation/calibration.tsv",
        "calibration",
        "Calibration per model and probability bin: CpGs, mean predicted probability, observed share "
        "methylated (95 % interval), and per model the ECE (95 % interval; biased upward by resampling, "
        "so with few CpGs it may lie above the ECE) and the Brier score.",
        "Evaluation",
        "extras",
    ),
    _o(
        "evaluation/by_coverage.png",
        "by_coverage",
        "Test AUROC (left) and MSE (right) per read-depth band of the test CpGs (1-4, 5-9, 10-19, 20-49, >= 50 "
        f"reads, both strands) {_INTERVALS}. A level read from few reads is a noisy label, so every model "
        "(and the ceiling, where there is one) is expected to drop at low depth; fractions without read counts "
        "count one read per strand and sit in the first band.",
        "Evaluation",
        "extras",
    ),
    _o("evaluation/by_coverage.pdf", "by_coverage", when="extras"),
    _o(
        "evaluation/block_sizes.png",
        "block_sizes",
        "Are the intervals wide enough? The 95 % bootstrap interval of {new}'s test AUROC and MSE, and of its "
        "paired difference from {original}, redrawn with longer and longer genomic blocks (x: the block, and "
        "the blocks it makes; CpG: CpGs resampled one by one). A block bootstrap treats blocks as independent, "
        "so while the blocks are shorter than the stretches over which a model's errors are shared, its "
        "intervals are too narrow; they widen with the block until it is long enough. Red: the block every "
        "other table's intervals resample (evaluate.bootstrap_block_bp, or its auto choice); a red title says an interval "
        "there is under 80 % of its width with a longer block (of at least 20 blocks): read the verdicts "
        "drawn from it as optimistic, or set a longer block. Paired differences often level off sooner than "
        "a model's own metric: what two models share cancels.",
        "Evaluation",
        "extras",
    ),
    _o("evaluation/block_sizes.pdf", "block_sizes", when="extras"),
    _o(
        "evaluation/bootstrap_block.json",
        "bootstrap_block",
        "The genomic block every table's intervals resample (evaluate.bootstrap_block_bp: auto): the shortest "
        "of 10 kb to 10 Mb whose intervals of {new}'s test AUROC and MSE, and of its paired difference from "
        "{original}, are at least 80 % as wide as with any longer block of at least 20 blocks; with the "
        "interval widths it was chosen from.",
        "Evaluation",
        "auto_block",
    ),
    _o(
        "evaluation/block_sizes.tsv",
        "block_sizes",
        "Interval widths by bootstrap block: per quantity ({new}'s AUROC and MSE; other: the model its "
        "difference is taken from) and block size (bp; 0: CpGs), the blocks, the value, its 95 % interval "
        "and width, and the block the other tables use (configured).",
        "Evaluation",
        "extras",
    ),
    _o(
        "evaluation/by_coverage.tsv",
        "by_coverage",
        "Metrics per model and read-depth band: test CpGs, AUROC and MSE with 95 % intervals.",
        "Evaluation",
        "extras",
    ),
    _o(
        "evaluation/ablation/{model}.png",
        "ablate",
        "Mark ablation of model '{model}': the test CpGs predicted again with one histone mark hidden in every "
        "row (treated as missing, as for a sample that lacks the mark). Bars: AUROC drop (full minus hidden) "
        "and MSE increase (hidden minus full) with paired 95 % bootstrap intervals (of CpGs, or of genomic "
        "blocks with evaluate.bootstrap_block_bp). A large drop means "
        "the model relies on that mark; a model trained with train.mark_dropout has learned to predict without "
        "each mark, one trained without it meets a missing mark for the first time here.",
        "Evaluation",
        "ablation",
        model="new",
    ),
    _o("evaluation/ablation/{model}.pdf", "ablate", when="ablation", model="new"),
    _o(
        "evaluation/ablation/{model}.tsv",
        "ablate",
        "Mark ablation of model '{model}': metrics with all marks and with each mark hidden, and the differences.",
        "Evaluation",
        "ablation",
        model="new",
    ),
    _o(
        "evaluation/ensembles/{ensemble}.png",
        "ensemble_report",
        "Ensemble '{ensemble}': the mean of its members' predictions per test CpG. Left and middle: AUROC and "
        f"MSE of each member and of the ensemble (orange) {_INTERVALS}. Right: test CpGs in ten equal-count "
        "bins of the ensemble's spread (the standard deviation of the members' predicted levels), the mean "
        "absolute error of each bin with its 95 % interval; when the spread is a useful uncertainty, error "
        "rises with it (Spearman's rho in the title).",
        "Evaluation",
    ),
    _o("evaluation/ensembles/{ensemble}.pdf", "ensemble_report"),
    _o(
        "evaluation/ensembles/{ensemble}.members.tsv",
        "ensemble_report",
        f"Ensemble '{{ensemble}}' against its members {_TEST} ({_INTERVALS}).",
        "Evaluation",
    ),
    _o(
        "evaluation/ensembles/{ensemble}.calibration.tsv",
        "ensemble_report",
        "Ensemble '{ensemble}': error by spread bin (SD of the members' predictions), with Spearman's rho "
        "between spread and absolute error.",
        "Evaluation",
    ),
    # interpretation
    _o("interpret/attributions.npz", "attribute"),
    _o(
        "interpret/sequence_attribution.png",
        "attribute_figure",
        "Integrated-gradients attribution of the predicted methylation level to each base around the CpG "
        "(position 0 is the C), averaged over sampled test CpGs of each region class. Negative values mean the "
        "bases there push the prediction toward unmethylated. The baseline is an all-N sequence; see "
        "summary.json for the convergence error.",
        "Interpretation",
    ),
    _o(
        "interpret/histone_attribution.png",
        "attribute_figure",
        "Integrated-gradients attribution of the predicted methylation level to each histone mark and bin "
        "around the CpG, averaged over sampled test CpGs of each region class, relative to a baseline of "
        "normalised signal 0: with the default histone_norm robust that is the sample's median signal of "
        "each mark, not its absence (histone_norm log1p: no signal), so a bin below the median attributes "
        "with the opposite sign to one above it. Red pushes toward methylated, blue toward unmethylated; "
        "e.g. H3K4me3 at promoters is expected blue.",
        "Interpretation",
        "marks",
    ),
    _o(
        "interpret/attention.png",
        "attribute_figure",
        "Cross-modal attention of the new model: how much the sequence tokens attend to each histone bin, "
        "averaged over heads, tokens and the sampled test CpGs of each region class (x: bin position in bp "
        "relative to the CpG). High weight on a bin means the model reads that stretch of histone signal; "
        "attention is not attribution (see the histone attribution figure for what changes the prediction).",
        "Interpretation",
        "marks",
    ),
    _o(
        "interpret/cpg_explanations.png",
        "attribute_figure",
        "Per-CpG explanations for the three most and three least methylated attributed test CpGs (among the "
        "many at one level, one region class after another): left, a "
        "sequence logo of the integrated-gradients attribution over the bases around the CpG (letters above "
        "the line push the predicted methylation up, below it push it down; the CG is marked); right, the "
        "attribution of each histone mark summed over its bins (absent in a cohort without marks). Titles give "
        "sample, position (1-based), region class, observed and predicted level. Single CpGs are anecdotes: "
        "read the per-region averages for patterns.",
        "Interpretation",
    ),
    *(
        _o(f"interpret/{name}.pdf", "attribute_figure", when=when)
        for name, when in (
            ("sequence_attribution", ""),
            ("histone_attribution", "marks"),
            ("attention", "marks"),
            ("cpg_explanations", ""),
        )
    ),
    _o(
        "interpret/top_kmers.tsv",
        "attribute",
        "K-mers (strand-merged) with the largest mean attribution, per region class.",
        "Interpretation",
    ),
    _o(
        "interpret/summary.json",
        "attribute",
        "Attribution settings and integrated-gradients convergence error.",
        "Interpretation",
    ),
    # named motifs: TF-MoDISco on held-out windows, matched to JASPAR
    _o(
        "interpret/motifs.png",
        "motifs",
        "Motifs the model learnt: TF-MoDISco patterns of the hypothetical contributions of held-out windows "
        "(strongest first; left, the pattern's mean contribution per base, below zero where it lowers the "
        "predicted level, its core shaded) beside the frequency logo of its core's best match by TOMTOM "
        "(either strand) with its q-value, among the JASPAR CORE matrices of the taxonomic group the title "
        "names (motifs.tax_group; by default the reference assembly's: plants for TAIR10, insects for dm6, "
        "nematodes for ce11, fungi for sacCer3, else vertebrates). A core under 5 or over 25 bp (a diffuse "
        "sequence preference) or of near-uniform letters (under 0.5 bits per position) is not matched.",
        "Motifs",
        "extras",
    ),
    _o("interpret/motifs.pdf", "motifs", when="extras"),
    _o(
        "interpret/motifs.tsv",
        "motifs",
        "One row per TF-MoDISco pattern, named by its sign (positive: its core raises the predicted level) "
        "and rank: the sum of its core's contribution (predicted level per seqlet), seqlets, core consensus, "
        "length and bits per position, best match with its Benjamini-Hochberg q-value, the three best, why a "
        "core is not matched (note), and the JASPAR collection matched against (release, CORE, taxonomic "
        "group).",
        "Motifs",
        "extras",
    ),
    # variant effects: a VCF's variants scored under REF and ALT with each chosen sample's marks
    _o(
        "variants/{sample}.png",
        "variant_effects",
        "Variants with the largest predicted effect on methylation, scored with sample {sample}'s marks: "
        "for each, the predicted level under ALT minus under REF of every CpG within half a window of it, "
        "against the CpG's distance from the variant (colour: region class); CpGs the variant creates "
        "(^, at their level under ALT) or destroys (v, minus their level under REF) are marked apart.",
        "Variants",
        "variants",
        sample="variant_sample",
    ),
    _o("variants/{sample}.pdf", "variant_effects", when="variants", sample="variant_sample"),
    _o(
        "variants/{sample}.tsv",
        "variant_effects",
        "Variant effects with sample {sample}'s marks, one row per variant and CpG within half a window: "
        "variant_pos as the VCF gives it (1-based), cpg_pos the CpG's C 0-based as in every other table, "
        "distance = cpg_pos - (variant_pos - 1) in bp, status (kept, created, destroyed), region class, "
        "predicted level and probability "
        "methylated under REF and ALT and their differences (NaN under the allele where the site is no CpG).",
        "Variants",
        "variants",
        sample="variant_sample",
    ),
    _o(
        "variants/{sample}.summary.tsv",
        "variant_effects",
        "One row per variant (sample {sample}), largest effect first: CpGs scored, the largest |change of "
        "predicted level| (signed, and its CpG), CpGs changed by 0.05 or more, CpGs created and destroyed.",
        "Variants",
        "variants",
        sample="variant_sample",
    ),
    _o(
        "variants/{sample}.delta.bw",
        "variant_effects",
        "Sample {sample}: each CpG's predicted change of level (ALT - REF) under the variant that changes it "
        "most, as a bigWig track for a genome browser.",
        "Variants",
        "variants",
        sample="variant_sample",
    ),
    # imputation: samples with histone marks and no methylation calls
    _o(
        "imputed/{sample}.png",
        "impute",
        "Imputed methylation of sample {sample}, which has histone marks but no methylation calls: every "
        "reference CpG outside the organelles (left out of the splits) predicted by the new model ({new}). Violins: the predicted level per region class. The "
        "levels are also a bigWig (imputed/{sample}.bw) and a table (imputed/{sample}.parquet). They are "
        "scored against nothing (the sample has no calls): how well the new model predicts a sample it never "
        "saw is what leave-one-sample-out measures (evaluate.leave_one_sample_out).",
        "Imputation",
        sample="to_predict",
    ),
    _o("imputed/{sample}.pdf", "impute", sample="to_predict"),
    _o(
        "imputed/{sample}.summary.tsv",
        "impute",
        "Sample {sample}: imputed CpGs per region class, mean and median predicted level, share predicted "
        "methylated.",
        "Imputation",
        sample="to_predict",
    ),
    _o(
        "imputed/{sample}.bw",
        "impute",
        "Sample {sample}: the imputed methylation level of every CpG as a bigWig track (also in the "
        "genome-browser hub, tracks/hub.json).",
        "Imputation",
        sample="to_predict",
    ),
    _o("imputed/{sample}.parquet", "impute", sample="to_predict"),
    # the summary page and the genome-browser tracks
    _o("report/index.html", "report"),
    _o("report/{figure}.png", "report"),  # the page's figures, copied beside it
    _o("tracks/hub.json", "tracks_export"),
    # bigWigs the datahub shows: each model's (and ensemble's) predicted level and error per sample, each sample's
    # measured levels of the same CpGs, the attributed model's attribution, and links to the histone inputs
    *(
        _o(f"tracks/{{model}}.{{sample}}.{kind}.bw", "tracks_export")
        for kind in ("predicted", "error", "attribution")
    ),
    _o("tracks/test.{sample}.observed.bw", "tracks_export"),
    _o("tracks/inputs/{sample}.{mark}.bw", "tracks_export"),
)


def matching(pattern: str, stage: str) -> list[Output]:
    """The catalogue entries that rule ``stage``'s output ``pattern`` writes: the entry of the same
    pattern, or the concrete entries of the stage its wildcards stand for (``evaluation/{figure}.png``
    -> roc.png, pr.png, ...). Empty: the catalogue does not know the output."""
    own = catalogue_of(stage)
    same = [o for o in own if o.pattern == pattern]
    if same:
        return same
    regex = Output(pattern, stage).regex()
    return [o for o in own if not o.wildcards and regex.fullmatch(o.pattern)]


def entries_of(path: str) -> list[Output]:
    """The catalogue entries a file under the results folder (``path`` relative to it, with ``/``) may
    be: several where patterns look alike (a model's and a baseline's predictions); a file inside a
    catalogued folder is the folder's. Empty: the catalogue does not know it."""
    parts = path.split("/")
    return [
        output
        for output in CATALOGUE
        if output.regex().fullmatch(path)
        or (
            output.folder and any(output.regex().fullmatch("/".join(parts[:i])) for i in range(1, len(parts)))
        )
    ]


def targets(plan: CohortPlan) -> list[str]:
    """Every file of the report's sections for this cohort: what the report (and so the workflow's
    default target) needs, in catalogue order."""
    return [path for output in CATALOGUE if output.section for path in plan.paths(output)]


def kinds(plan: CohortPlan, stage: str, suffix: str) -> list[str]:
    """The file names (without ``suffix``) of the ``stage``'s files ending in ``suffix`` that this cohort
    has: the values of a rule's kind wildcard (the figures ``figure`` draws)."""
    return [
        path.rsplit("/", 1)[-1][: -len(suffix)]
        for output in catalogue_of(stage)
        if output.pattern.endswith(suffix)
        for path in plan.paths(output)
    ]


def catalogue_of(stage: str) -> list[Output]:
    """The catalogue entries written by rule ``stage``."""
    return [o for o in CATALOGUE if o.stage == stage]


def caption_template(pattern: str, stage: str, context: Mapping[str, str]) -> str:
    """The Snakemake report caption (reStructuredText with Jinja) of rule ``stage``'s output ``pattern``:
    the catalogue caption, its wildcards as the job's (``{{ snakemake.wildcards.model }}``) and
    ``context`` (``new``, ``original``) filled in; for a pattern standing for several entries, each
    one's caption chosen by the job's wildcards."""
    entries = [o for o in matching(pattern, stage) if o.caption]
    if not entries:
        raise KeyError(f"no catalogued output of {stage} with a caption matches {pattern!r}")
    values = {
        **context,
        **{name: "{{ snakemake.wildcards.%s }}" % name for name in _WILDCARD.findall(pattern)},
    }
    if len(entries) == 1:
        return entries[0].caption.format_map(values) + "\n"
    regex = Output(pattern, stage).regex()
    branches = []
    for i, output in enumerate(entries):
        found = regex.fullmatch(output.pattern).groupdict()
        test = " and ".join(f"snakemake.wildcards.{k} == {v!r}" for k, v in found.items())
        branches.append(
            ("{% if " if i == 0 else "{% elif ") + test + " %}\n" + output.caption.format_map(values)
        )
    return "\n".join(branches) + "\n{% endif %}\n"


def unmade_path_constraint(rule_patterns: Iterable[str], constraints: Mapping[str, str]) -> str:
    """The wildcard constraint of a path under ``results/<cohort>/`` that no rule writes: none of
    ``rule_patterns`` (the rules' output patterns, as ``result`` in workflow/rules/common.smk declares
    them), nor a file inside one (a folder output). A wildcard matches its global constraint
    (``constraints``: name -> regex) or, without one, any text, as Snakemake's unconstrained ones do:
    so a path a rule may write is never also this one's (no ambiguous rules). A lookahead: the
    constraint sits inside the whole path's pattern, where ``$`` only matches at its end."""
    written = "|".join(
        dict.fromkeys(
            "".join(
                f"(?:{constraints.get(part, '.+')})" if i % 2 else re.escape(part)
                for i, part in enumerate(_WILDCARD.split(pattern))
            )
            for pattern in rule_patterns
        )
    )
    return f"(?!(?:{written})(?:/.*)?$).+"


def unmade_result_message(path: str, plan: CohortPlan, cohort: str) -> str:
    """What to say of a target ``results/<cohort>/<path>`` no rule declares, which Snakemake alone
    answers with "no rule to produce": for a file of the cohort a rule writes beside its declared
    outputs (a checkpoint, the report's figure copies, the tracks) which rule to ask instead; else (a
    misspelt name) the nearest of the cohort's files (those of its lists; a pattern where the plan has
    no list for a wildcard)."""
    known: list[str] = []
    for output in CATALOGUE:
        listed = all(output.list_name(w) in plan.values for w in output.wildcards)
        if (path in plan.paths(output)) if listed else output.regex().fullmatch(path):
            stage = output.stage
            return (
                f"results/{cohort}/{path} is written by rule {stage} beside the files it declares, not a "
                f'target of its own: ask for one of those (README "What runs", row {stage})'
            )
        known += plan.paths(output) if listed else [output.pattern]
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    hint = f": did you mean results/{cohort}/{close[0]}?" if close else ""
    return (
        f'results/{cohort}/{path} is no file of the workflow (README "What runs" lists each rule\'s '
        f"files){hint}"
    )
