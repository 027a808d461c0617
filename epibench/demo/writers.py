"""Text outputs of the demo: the three methylation-call formats, the truth table, and gzip/plain writing.

Every methylation format gets one row per covered cytosine per strand: the + row on
the C of the CpG (0-based c), the - row on its G (c + 1); strands without reads have
no row. Formats (``FORMATS`` maps sample index % 3 to the name used in samples.tsv):

- ``methylc``: chrom, start, end, context, level (3 decimals), strand, depth;
  0-based half-open; also holds a few CHG/CHH rows a reader must drop.
- ``bedmethyl``: a ``track`` line, then BED9 (quoted name, score = min(depth,
  1000), itemRgb green -> yellow -> red with the level), coverage, integer percent,
  ``CG``, ``CG``, a quality (min(2 depth, 60)); 0-based.
- ``bismark_cov``: chrom, start, end (= start), percent (Perl-style ``%.15g``),
  n_meth, n_unmeth; 1-based.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from epibench.demo.methylation import CpgSites, NonCgCalls, StrandCalls
from epibench.io.atomic import atomic_path

FORMATS = ("methylc", "bedmethyl", "bismark_cov")
SUFFIXES = {
    "methylc": "methylC.gz",
    "bedmethyl": "bedMethyl.gz",
    "bismark_cov": "bismark.cov.gz",
}


@dataclass(frozen=True)
class CytosineRows:
    """Covered cytosines of one chromosome in file order, (R,) each."""

    pos: np.ndarray  # 0-based position of the cytosine (the G of a CpG on the - strand)
    strand: np.ndarray  # '+' / '-'
    context: np.ndarray  # 'CG', 'CHG', 'CHH'
    depth: np.ndarray
    meth: np.ndarray


def cytosine_rows(sites: CpgSites, calls: StrandCalls, extra: NonCgCalls | None = None) -> CytosineRows:
    """Both strands of every CpG with reads, plus ``extra`` non-CG rows, sorted by position."""
    k = sites.pos.size
    pos = np.stack([sites.pos, sites.pos + 1], axis=1).ravel()
    strand = np.tile(np.array(["+", "-"]), k)
    depth = np.stack([calls.depth_plus, calls.depth_minus], axis=1).ravel()
    meth = np.stack([calls.meth_plus, calls.meth_minus], axis=1).ravel()
    context = np.full(2 * k, "CG", dtype="<U3")
    if extra is not None:
        pos, strand, context = (
            np.concatenate([a, b])
            for a, b in ((pos, extra.pos), (strand, extra.strand), (context, extra.context))
        )
        depth, meth = np.concatenate([depth, extra.depth]), np.concatenate([meth, extra.meth])
    order = np.argsort(pos, kind="stable")
    order = order[depth[order] > 0]
    return CytosineRows(pos[order], strand[order], context[order], depth[order], meth[order])


def methylc_lines(chrom: str, rows: CytosineRows) -> Iterable[str]:
    for p, s, c, d, m in zip(
        rows.pos.tolist(),
        rows.strand.tolist(),
        rows.context.tolist(),
        rows.depth.tolist(),
        rows.meth.tolist(),
    ):
        yield f"{chrom}\t{p}\t{p + 1}\t{c}\t{m / d:.3f}\t{s}\t{d}"


def _rgb(percent: int) -> str:
    return f"{min(255, percent * 51 // 10)},{min(255, (100 - percent) * 51 // 10)},0"


def bedmethyl_lines(chrom: str, rows: CytosineRows, name: str) -> Iterable[str]:
    for p, s, d, m in zip(rows.pos.tolist(), rows.strand.tolist(), rows.depth.tolist(), rows.meth.tolist()):
        pct = (200 * m + d) // (2 * d)  # round half up of 100 m / d
        yield (
            f'{chrom}\t{p}\t{p + 1}\t"{name}"\t{min(d, 1000)}\t{s}\t{p}\t{p + 1}\t{_rgb(pct)}'
            f"\t{d}\t{pct}\tCG\tCG\t{min(2 * d, 60)}"
        )


def bedmethyl_header(name: str) -> str:
    return f'track name="{name}" description="{name} (EpiBench demo)" visibility=2 itemRgb="On"'


def bismark_lines(chrom: str, rows: CytosineRows) -> Iterable[str]:
    for p, d, m in zip(rows.pos.tolist(), rows.depth.tolist(), rows.meth.tolist()):
        yield f"{chrom}\t{p + 1}\t{p + 1}\t{m / d * 100:.15g}\t{m}\t{d - m}"


def truth_lines(sample: str, chrom: str, sites: CpgSites, p: np.ndarray) -> Iterable[str]:
    """Rows of truth.tsv.gz (header ``TRUTH_HEADER``) for one sample and chromosome, every CpG."""
    for pos, prob, motif in zip(sites.pos.tolist(), p.tolist(), sites.motif.astype(int).tolist()):
        yield f"{sample}\t{chrom}\t{pos}\t{prob:.6f}\t{motif}"


TRUTH_HEADER = "sample\tchrom\tpos\tp_meth\tmotif"


def write_text(path: Path, lines: Iterable[str]) -> None:
    """Write ``lines`` (newline-terminated) atomically; gzip (mtime 0, no name) when ``path`` ends in .gz."""
    data = "".join(f"{line}\n" for line in lines).encode()
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
                    gz.write(data)
            else:
                raw.write(data)


def write_bgzip_vcf(path: Path, lines: Iterable[str]) -> None:
    """Write VCF ``lines`` bgzip-compressed to ``path`` (.vcf.gz) and its tabix index ``path``.tbi,
    each atomically (htslib's BGZF: byte-identical for the same lines)."""
    import pysam

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        plain = Path(work) / "variants.vcf"
        plain.write_text("".join(f"{line}\n" for line in lines))
        with atomic_path(path) as packed:
            pysam.tabix_compress(str(plain), str(packed), force=True)
    with atomic_path(Path(f"{path}.tbi")) as index:
        pysam.tabix_index(str(path), preset="vcf", force=True, index=str(index))


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
