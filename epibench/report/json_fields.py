"""What the keys of the cohort's JSON records mean, for the report page's tables of them.

The records: a sample's ingest QC (``qc/<sample>.ingest.json``, with the same counts per chromosome
group under ``groups`` and per input file under ``files``), the reference's assembly check
(``reference/assembly.json``) and the attribution summary (``interpret/summary.json``). A key
missing here is shown without a meaning; ``tests/test_io_methylation_group_ingest.py`` checks
that every key ingest writes has one.
"""

from __future__ import annotations

FIELD_MEANINGS: dict[str, str] = {
    # ingest QC: what was read
    "sample": "the sample's name in the sheet",
    "input": "the file read",
    "inputs": "the sample's files, read one by one and their reads summed per CpG",
    "format": "the file's layout (detected from its content unless the sheet names it)",
    "files": "the counts of each input file",
    "groups": "the counts of each group of chromosomes, ingested as one job",
    "n_records": "data rows read (bigWig: covered bases)",
    "n_intervals": "bigWig intervals read",
    "n_non_cg_context_dropped": "rows whose context column says CHG, CHH or another non-CG context, dropped",
    "n_other_modification_rows": "rows of another modification (5hmC, 6mA), dropped",
    "modified_rows": "the modkit rows read, by what they count as methylated",
    "5mC": "rows of code m: 5mC of all reads valid at the C (5hmC reads in the denominator)",
    "5mC+5hmC": "rows of code C (modkit --combine-mods): 5mC and 5hmC counted as methylated, as bisulfite reads them",
    "n_haplotype_rows_dropped": "per-haplotype rows, dropped (the combined rows are read)",
    "n_nan_values_skipped": "bigWig bases without a value (NaN), skipped",
    "n_missing_coverage_dropped": "levels without a read depth in the ReadCoverage bigWig, dropped",
    "chroms_without_coverage": "chromosomes the ReadCoverage bigWig lacks (their levels dropped)",
    "renamed_chroms": "the file's chromosome names matched to the reference's (file -> reference)",
    "dropped_chroms": "calls on sequences the reference lacks, dropped (name -> calls)",
    "n_zero_depth_dropped": "calls without reads (a report listing every CpG), dropped",
    "coverage_known": "whether the file holds read depths (a level-only file does not)",
    "min_coverage_applied": "whether the minimum read depth could be applied (it needs read depths)",
    # ingest QC: the CG check and strands
    "n_calls": "calls on the reference's sequences",
    "cg_share": "share of calls on a reference CG (at the file's coordinate convention)",
    "cytosine_share": "share of calls on a cytosine of any context (a file of every context keeps its CpGs)",
    "n_off_cg_dropped": "calls not on a CG of the reference, dropped",
    "n_off_cg_on_cytosine": "of those, calls on a cytosine of another context (CHG, CHH)",
    "n_cpgs_merged": "CpGs called on both strands, whose reads were summed into one",
    "n_cpgs_pooled": "CpGs called in more than one of the sample's files, whose reads were summed",
    "replicate_concordance": "how the sample's files agree: Pearson r of their levels at the CpGs both read "
    ">= 10 times (ENCODE's replicate standard: >= 0.8)",
    "n_cpgs_compared": "CpGs both files read at least 10 times",
    "pearson": "Pearson correlation of the two files' levels there",
    "sum_of_others": "per file of the sample, its CpGs read >= 10 times that its other files also called, and those where its reads equal theirs summed",
    "file": "the file's number in the sample (from 1)",
    "n_shared": "the file's CpGs read >= 10 times that the sample's other files also called",
    "n_equal": "those of them where the file's methylated and total reads equal the other files' sums",
    "file_pairs": "per pair of the sample's files, sums of their levels at the CpGs both read >= 10 times",
    "n": "CpGs both files read at least 10 times",
    "sx": "sum of the first file's levels there",
    "sy": "sum of the second file's levels there",
    "sxx": "sum of the squares of the first file's levels",
    "syy": "sum of the squares of the second file's levels",
    "sxy": "sum of the products of the two files' levels",
    # ingest QC: what was kept
    "n_below_min_coverage": "CpGs with fewer reads than ingest.min_coverage, dropped",
    "n_kept": "CpGs kept: the sample's training and test labels",
    "mean_coverage": "mean reads per kept CpG (empty when the file holds no depths)",
    "mean_level": "mean methylation level of the kept CpGs (0 to 1)",
    "warnings": "what to look at (also in the job's log and at the run's end)",
    # reference/assembly.json
    "fasta": "the reference FASTA",
    "matched": "the known assemblies whose every compared sequence has the reference's length",
    "compared": "reference sequences compared by length",
    "nearest": "how the reference differs from the nearest known assembly",
    "nearest_assembly": "the known assembly nearest to the reference's lengths (within 10 %)",
    "notes": "mitochondrial lengths that differ from the matched assembly's",
    "summary": "the verdict",
    # interpret/summary.json
    "n_cpgs": "held-out CpGs attributed",
    "n_cpgs_per_region": "of those, per region class",
    "baseline_sequence": "the integrated-gradients baseline of the sequence",
    "baseline_histone": "the integrated-gradients baseline of the histone marks",
    "n_steps": "integration steps per CpG at first",
    "max_steps": "the most steps a CpG's integration is doubled to",
    "tolerance": "the largest relative convergence delta taken as converged",
    "seq_median_rel_delta": "median relative convergence delta of the sequence attributions",
    "seq_n_over_tolerance": "CpGs whose sequence delta stays over the tolerance",
    "hist_median_rel_delta": "median relative convergence delta of the histone attributions",
    "hist_n_over_tolerance": "CpGs whose histone delta stays over the tolerance",
    "n_retried": "CpGs integrated again with more steps",
    "converged": "whether both median deltas are within the tolerance",
    "max_abs_convergence_delta": "largest |sum of attributions - (prediction - baseline prediction)|",
    "median_abs_convergence_delta": "median of that",
    "has_attention": "whether the model has CpG attention weights (attention.png)",
}
