"""Benchmark: region annotation (``epibench.io.regions.annotate_regions``) on a generated chromosome.

What is generated (deterministic, ``--seed``, into a temporary folder removed at the end):

- ``chr1`` of ``--mb`` Mb (100 by default, 20 with ``--quick``) at the human CpG density
  (28 M CpGs / 3.1 Gb = 1 CpG per 110 bp): uniform random ACGT in which 1 kb around every
  TSS keeps all its CGs (a CpG island) and elsewhere CGs are removed at random (the G
  becomes an A) down to that density; prepared with ``write_reference_index``;
- a GTF of ``--transcripts`` transcripts (2,000) in genes of log-normal length (median
  13 kb) on both strands, 1-3 transcripts per gene, ~8 exons each: gene, transcript and
  exon rows, as GENCODE writes them;
- an enhancer BED at the density of ENCODE cCREs (one 150-350 bp element per 4 kb).

Measured, each in a fresh ``python`` subprocess (peak RSS = the process's VmHWM):

- ``annotate_regions(Reference(genome.fa), gtf, enhancers, tmp_dir=...)`` with the
  defaults (promoter TSS -1000/+500);
- its parts in another run: GTF parsing (``transcripts_from_gtf``), BED parsing
  (``read_bed_intervals``) and reading the chromosome's CpGs (``cpg_positions``);
- baseline: the same classes from ``bedtools intersect -u`` (pybedtools) of the same CpGs
  (written as a BED) with the promoter, enhancer and transcript intervals, classes
  assigned by priority; the GTF and BED are parsed with the same epibench functions.
  The baseline's classes are compared with annotate_regions' (agreement printed).

Per core = CpGs / (wall s x threads used), threads used = max(1, CPU s / wall s), CPU
including child processes (bedtools).

Extrapolation to a human genome (28 M CpGs) is printed as arithmetic: the per-CpG part
(everything but GTF and BED parsing) scales with CpGs, GTF parsing with GTF lines
(``--human-gtf-lines``, 3.4 M: GENCODE comprehensive, all feature rows) and BED parsing
with BED lines (``--human-bed-lines``, 1 M: ENCODE cCREs); the run's own figures are
measured, those two line counts are assumptions.

    .venv/bin/python benchmarks/bench_regions.py            # 100 Mb, ~1 min
    .venv/bin/python benchmarks/bench_regions.py --quick    # 20 Mb, < 30 s

The last printed line is one JSON object (``bench``, ``value`` = annotate_regions
CpGs/s/core, ``unit``, ``baseline``, ``baseline_value``, ``ratio``, ``peak_rss_mb``,
``records`` (= CpGs), ``seconds``, the extrapolation and details).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import dispatch, measure, random_sequence, run_child, write_fasta  # noqa: E402

HUMAN_CPGS = 28_000_000
HUMAN_BP = 3_100_000_000
CPG_PER_BP = HUMAN_CPGS / HUMAN_BP
ISLAND_BP = 1000
ENHANCER_EVERY_BP = 4000
UP, DOWN = 1000, 500  # annotate_regions' defaults


# --- synthetic input ----------------------------------------------------------------------


def _gtf(rng: np.random.Generator, length: int, n_transcripts: int) -> tuple[list[str], np.ndarray]:
    """GTF lines (gene, transcript, exon rows) and the 0-based TSS of every transcript."""
    lines, tss = [], []
    n_tx = gene = 0
    while n_tx < n_transcripts:
        gene += 1
        g_len = int(np.clip(rng.lognormal(np.log(13_000), 1.0), 1_000, 150_000))
        g_start = int(rng.integers(10_000, length - g_len - 10_000))
        strand = "+" if rng.random() < 0.5 else "-"
        k = min(int(rng.integers(1, 4)), n_transcripts - n_tx)
        spans = []
        for _ in range(k):
            lo = g_start + int(rng.integers(0, g_len // 5 + 1))
            hi = g_start + g_len - int(rng.integers(0, g_len // 5 + 1))
            spans.append((lo, max(hi, lo + 200)))
        g_lo, g_hi = min(s for s, _ in spans), max(e for _, e in spans)
        gid = f'gene_id "G{gene:06d}";'
        lines.append(f"chr1\tsynthetic\tgene\t{g_lo + 1}\t{g_hi}\t.\t{strand}\t.\t{gid}")
        for lo, hi in spans:
            n_tx += 1
            tid = f'{gid} transcript_id "T{n_tx:06d}";'
            lines.append(f"chr1\tsynthetic\ttranscript\t{lo + 1}\t{hi}\t.\t{strand}\t.\t{tid}")
            n_exons = 2 + int(rng.poisson(6))
            cuts = np.sort(rng.integers(lo + 1, hi - 1, size=2 * (n_exons - 1)))
            bounds = [lo, *cuts.tolist(), hi]
            for i in range(0, len(bounds), 2):
                e_lo, e_hi = bounds[i], bounds[i + 1]
                if e_hi > e_lo:
                    lines.append(f"chr1\tsynthetic\texon\t{e_lo + 1}\t{e_hi}\t.\t{strand}\t.\t{tid}")
            tss.append(lo if strand == "+" else hi - 1)
    return lines, np.array(tss, dtype=np.int64)


def generate(out_dir: Path, mb: float, n_transcripts: int, seed: int) -> dict:
    """Write ``reference/genome.fa`` (+ index), ``genes.gtf`` and ``enhancers.bed``."""
    from epibench.io.reference import write_reference_index

    rng = np.random.default_rng(seed)
    length = int(mb * 1_000_000)
    gtf_lines, tss = _gtf(rng, length, n_transcripts)
    (out_dir / "genes.gtf").write_text("\n".join(gtf_lines) + "\n")

    seq = random_sequence(rng, length)
    is_cg = np.zeros(length, dtype=bool)
    is_cg[:-1] = (seq[:-1] == ord("C")) & (seq[1:] == ord("G"))
    island = np.zeros(length + 1, dtype=np.int32)
    np.add.at(island, np.clip(tss - ISLAND_BP // 2, 0, length), 1)
    np.add.at(island, np.clip(tss + ISLAND_BP // 2, 0, length), -1)
    island = np.cumsum(island[:-1]) > 0
    n_island = int((is_cg & island).sum())
    n_other = int((is_cg & ~island).sum())
    keep_share = min(1.0, max(0.0, (CPG_PER_BP * length - n_island) / max(n_other, 1)))
    drop = np.flatnonzero(is_cg & ~island & (rng.random(length) >= keep_share))
    seq[drop + 1] = ord("A")  # CG -> CA: never makes a new CG
    raw = out_dir / "chr1.fa"
    write_fasta(raw, "chr1", seq)
    del seq, is_cg, island
    fasta = write_reference_index(raw, out_dir / "reference")
    raw.unlink()

    n_enh = length // ENHANCER_EVERY_BP
    starts = np.sort(rng.integers(0, length - 400, size=n_enh))
    ends = starts + rng.integers(150, 351, size=n_enh)
    with open(out_dir / "enhancers.bed", "w") as fh:
        fh.writelines(
            f"chr1\t{s}\t{e}\tE{i}\n" for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist()))
        )
    return {
        "fasta": fasta,
        "gtf": out_dir / "genes.gtf",
        "enhancers": out_dir / "enhancers.bed",
        "length": length,
        "gtf_lines": len(gtf_lines),
        "bed_lines": int(n_enh),
        "n_transcripts": n_transcripts,
    }


# --- the bedtools baseline ----------------------------------------------------------------


def classify_with_bedtools(reference, gtf, enhancers, tmp_dir) -> np.ndarray:
    """Region code of every CpG of ``reference`` from ``bedtools intersect -u``, by priority (one chromosome per FASTA record)."""
    import pandas as pd
    import pybedtools

    from epibench.io.gene_models import transcripts_from_gtf
    from epibench.io.regions import read_bed_intervals
    from epibench.codes import REGION_CLASSES

    pybedtools.helpers.set_tempdir(str(tmp_dir))
    tx = transcripts_from_gtf(gtf)
    plus, minus = tx[tx.strand == "+"], tx[tx.strand == "-"]
    promoters = pd.DataFrame(
        {
            "chrom": pd.concat([plus.chrom, minus.chrom]),
            "start": pd.concat([plus.start - UP, minus.end - 1 - DOWN + 1]).clip(lower=0),
            "end": pd.concat([plus.start + DOWN, minus.end - 1 + UP + 1]),
        }
    )
    intervals = {
        "promoter": promoters,
        "enhancer": read_bed_intervals(enhancers),
        "gene_body": tx[["chrom", "start", "end"]],
    }
    codes = []
    for chrom in reference.chroms:
        pos = reference.cpg_positions(chrom)
        cpg_bed = Path(tmp_dir) / "cpgs.bed"
        pd.DataFrame({"chrom": chrom, "start": pos, "end": pos + 1}).to_csv(
            cpg_bed, sep="\t", header=False, index=False
        )
        cpgs = pybedtools.BedTool(str(cpg_bed))
        region = np.full(len(pos), REGION_CLASSES.index("intergenic"), dtype=np.int8)
        for name in reversed(REGION_CLASSES[:-1]):  # lowest priority first
            frame = intervals[name]
            frame = frame[frame.chrom == chrom]
            hits = cpgs.intersect(pybedtools.BedTool.from_dataframe(frame[["chrom", "start", "end"]]), u=True)
            hit_pos = pd.read_csv(hits.fn, sep="\t", header=None, usecols=[1], dtype=np.int64)[1].to_numpy()
            region[np.isin(pos, hit_pos, assume_unique=True)] = REGION_CLASSES.index(name)
        codes.append(region)
    pybedtools.helpers.cleanup(remove_all=True)
    return np.concatenate(codes)


# --- children -----------------------------------------------------------------------------


def _child(argv: list[str]) -> None:
    kind, fasta, gtf, enhancers, tmp_dir = argv
    from epibench.io.reference import Reference

    reference = Reference(fasta)
    if kind == "annotate":
        from epibench.io.regions import annotate_regions

        m = measure(lambda: annotate_regions(reference, gtf, enhancers, tmp_dir=tmp_dir))
        table = m.pop("result")
        np.save(Path(tmp_dir) / "annotate_regions.npy", table["region"].to_numpy(np.int8))
        m["n_cpgs"] = len(table)
        m["per_class"] = table["region"].value_counts().sort_index().tolist()
    elif kind == "stages":
        from epibench.io.gene_models import transcripts_from_gtf
        from epibench.io.regions import read_bed_intervals

        m = {}
        for name, fn in (
            ("gtf_s", lambda: transcripts_from_gtf(gtf)),
            ("bed_s", lambda: read_bed_intervals(enhancers)),
            ("cpg_positions_s", lambda: reference.cpg_positions(reference.chroms[0])),
        ):
            t = time.perf_counter()
            fn()
            m[name] = time.perf_counter() - t
    elif kind == "bedtools":
        m = measure(lambda: classify_with_bedtools(reference, gtf, enhancers, tmp_dir))
        region = m.pop("result")
        ours = np.load(Path(tmp_dir) / "annotate_regions.npy", allow_pickle=False)
        m["n_cpgs"] = len(region)
        m["agreement"] = float(np.mean(region == ours)) if len(region) == len(ours) else 0.0
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(m))


# --- the benchmark ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 20-Mb chromosome (< 30 s)")
    parser.add_argument("--mb", type=float, help="chromosome length in Mb (default 100, 20 with --quick)")
    parser.add_argument("--transcripts", type=int, default=2000)
    parser.add_argument("--human-gtf-lines", type=int, default=3_400_000)
    parser.add_argument("--human-bed-lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp-dir", help="parent of the temporary folder (default: the system's)")
    args = parser.parse_args(argv)
    mb = args.mb or (20 if args.quick else 100)
    script = Path(__file__).resolve()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-regions-", dir=args.tmp_dir) as tmp:
        t = time.perf_counter()
        data = generate(Path(tmp), mb, args.transcripts, args.seed)
        gen_s = time.perf_counter() - t
        files = [str(data["fasta"]), str(data["gtf"]), str(data["enhancers"]), tmp]
        ours = run_child(script, "annotate", *files)
        stages = run_child(script, "stages", *files)
        base = run_child(script, "bedtools", *files)
    load_after = os.getloadavg()[0]

    n = ours["n_cpgs"]
    value = n / (ours["wall_s"] * ours["threads_used"])
    base_value = n / (base["wall_s"] * base["threads_used"])
    gtf_s, bed_s = stages["gtf_s"], stages["bed_s"]
    cpg_part = max(ours["wall_s"] - gtf_s - bed_s, 0.0)
    scale = HUMAN_CPGS / n
    x_cpg = cpg_part * scale
    x_gtf = gtf_s / data["gtf_lines"] * args.human_gtf_lines
    x_bed = bed_s / data["bed_lines"] * args.human_bed_lines
    x_total = x_cpg + x_gtf + x_bed
    x_naive = ours["wall_s"] * scale
    x_base = base["wall_s"] * scale
    arithmetic = (
        f"28 M CpGs: per-CpG part ({ours['wall_s']:.2f} - {gtf_s:.2f} GTF - {bed_s:.2f} BED = {cpg_part:.2f} s) "
        f"x {HUMAN_CPGS:,} / {n:,} = {x_cpg:.1f} s; GTF {gtf_s:.3f} s / {data['gtf_lines']:,} lines "
        f"x {args.human_gtf_lines:,} = {x_gtf:.1f} s; BED {bed_s:.3f} s / {data['bed_lines']:,} lines "
        f"x {args.human_bed_lines:,} = {x_bed:.1f} s; total {x_cpg:.1f} + {x_gtf:.1f} + {x_bed:.1f} = {x_total:.1f} s"
    )
    names = ("promoter", "enhancer", "gene_body", "intergenic")
    print(
        f"generated in {gen_s:.1f} s: chr1 {data['length']:,} bp, {n:,} CpGs "
        f"({n / data['length'] * 100:.2f} per 100 bp; human 0.90), {data['n_transcripts']:,} transcripts "
        f"({data['gtf_lines']:,} GTF lines), {data['bed_lines']:,} enhancers"
    )
    print(
        f"annotate_regions: {ours['wall_s']:.2f} s wall, {ours['cpu_s']:.2f} s CPU, peak RSS "
        f"{ours['peak_rss_mb']:.0f} MB; classes {dict(zip(names, ours['per_class']))}"
    )
    print(
        f"parts (separate run): GTF {gtf_s:.3f} s, BED {bed_s:.3f} s, cpg_positions {stages['cpg_positions_s']:.3f} s"
    )
    print(
        f"annotate_regions: {n:,} CpGs / ({ours['wall_s']:.2f} s x {ours['threads_used']:.2f} threads) "
        f"= {value:,.0f} CpGs/s/core"
    )
    print(
        f"baseline bedtools intersect (pybedtools): {base['wall_s']:.2f} s wall, {base['cpu_s']:.2f} s CPU "
        f"(incl. bedtools) = {base_value:,.0f} CpGs/s/core; peak RSS {base['peak_rss_mb']:.0f} MB; "
        f"same class for {base['agreement']:.4%} of CpGs"
    )
    print(f"extrapolation: {arithmetic}")
    print(
        f"  (scaling the whole run by CpGs instead: {ours['wall_s']:.2f} s x {scale:.1f} = {x_naive:.1f} s; "
        f"bedtools baseline: {base['wall_s']:.2f} s x {scale:.1f} = {x_base:.1f} s)"
    )
    print(f"1-min load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)")
    result = {
        "bench": "regions",
        "value": round(value),
        "unit": "CpGs/s/core",
        "baseline": "bedtools intersect (pybedtools)",
        "baseline_value": round(base_value),
        "ratio": round(value / base_value, 3),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "records": n,
        "seconds": round(ours["wall_s"], 3),
        "cpu_seconds": round(ours["cpu_s"], 3),
        "threads_used": round(ours["threads_used"], 2),
        "chrom_length": data["length"],
        "transcripts": data["n_transcripts"],
        "gtf_lines": data["gtf_lines"],
        "enhancers": data["bed_lines"],
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "extrapolated_28M_cpgs_s": round(x_total, 1),
        "extrapolation": arithmetic,
        "baseline_seconds": round(base["wall_s"], 3),
        "baseline_cpu_seconds": round(base["cpu_s"], 3),
        "baseline_extrapolated_28M_cpgs_s": round(x_base, 1),
        "baseline_peak_rss_mb": round(base["peak_rss_mb"], 1),
        "agreement_with_baseline": base["agreement"],
        "load_avg_1min": [round(load_before, 2), round(load_after, 2)],
        "cores_on_machine": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    dispatch(main, _child)
