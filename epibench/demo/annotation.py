"""Where things sit on a demo chromosome: genes, CpG islands, enhancers, N runs, repeats.

All coordinates are 0-based, half-open. Per chromosome (drawn from the stream
``("layout", chrom_index)``):

- Genes, 5-40 kb (log-uniform), on either strand, separated by 2 kb + Exp(5 kb)
  intergenic gaps. Each has a primary transcript with 2-6 exons (first exon
  100-400 bp at the TSS, internal 80-250 bp, last exon 500-2000 bp); genes of
  12 kb or more get, with probability ``P_ALT_TSS``, a second transcript whose TSS lies
  2.5-6 kb downstream (alternative TSS) and which shares the downstream exons.
  20 % of genes are ``lncRNA``, the rest ``protein_coding``.
- CpG islands, 500-2000 bp (log-normal around 700 bp): one around each TSS with
  probability ``P_TSS_ISLAND`` (the TSS 30-70 % into the island), plus about one
  orphan island per 200 kb at least 3 kb from any TSS; overlapping islands merge.
- Enhancers, about one per 8 kb, 200-1000 bp, at least ``ENHANCER_TSS_GAP`` bp from
  every TSS, off exons and islands; ENCODE cCRE class ``pELS`` when within 2 kb of
  a TSS, ``dELS`` otherwise (a quarter are proposed next to a TSS so both occur).
- N runs (50-300 bp, one per chromosome, two from 150 kb) at least 2 kb from
  genes, islands and enhancers; soft-masked repeats (200-800 bp, one per 25 kb,
  at least two) anywhere off islands and N runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epibench.demo.intervals import distance_to_points, overlaps
from epibench.demo.streams import stream

P_TSS_ISLAND = 0.65
ENHANCER_TSS_GAP = 1200
PROXIMAL_ENHANCER_BP = 2000
P_ALT_TSS = 0.45
MARGIN_BP = 1500


@dataclass(frozen=True)
class Transcript:
    """One transcript: ``exons`` are genomic (start, end) pairs in ascending order."""

    transcript_id: str
    strand: str
    exons: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]

    @property
    def tss(self) -> int:
        """0-based position of the first transcribed base."""
        return self.start if self.strand == "+" else self.end - 1


@dataclass(frozen=True)
class Gene:
    """A gene; ``transcripts[0]`` is the primary transcript and spans the whole gene."""

    gene_id: str
    gene_name: str
    gene_type: str
    strand: str
    transcripts: tuple[Transcript, ...]

    @property
    def start(self) -> int:
        return self.transcripts[0].start

    @property
    def end(self) -> int:
        return self.transcripts[0].end


@dataclass(frozen=True)
class Enhancer:
    start: int
    end: int
    cre_class: str


@dataclass(frozen=True)
class ChromLayout:
    """Features of one chromosome; ``islands``, ``n_runs`` and ``repeats`` are sorted (start, end) lists."""

    name: str
    length: int
    genes: tuple[Gene, ...]
    islands: tuple[tuple[int, int], ...]
    enhancers: tuple[Enhancer, ...]
    n_runs: tuple[tuple[int, int], ...]
    repeats: tuple[tuple[int, int], ...]

    @property
    def tss(self) -> np.ndarray:
        """TSS positions of all transcripts, (T,) int64, in gene then transcript order."""
        return tss_positions(self.genes)


def tss_positions(genes: list[Gene] | tuple[Gene, ...]) -> np.ndarray:
    """(T,) int64 TSS of every transcript of ``genes``, in gene then transcript order."""
    return np.array([t.tss for g in genes for t in g.transcripts], dtype=np.int64)


def _exon_offsets(rng: np.random.Generator, length: int) -> list[tuple[int, int]]:
    """2-6 exons as (a, b) offsets from the TSS in transcript direction, from 0 to ``length``."""
    n_exons = int(rng.integers(2, 7))
    first = int(rng.integers(100, 401))
    last = int(rng.integers(500, min(2000, length // 4) + 1))
    exons = [(0, first)]
    lo, hi = first + 200, length - last - 200
    segment = (hi - lo) // max(n_exons - 2, 1)
    for k in range(n_exons - 2):
        size = int(rng.integers(80, min(250, segment - 100) + 1))
        a = lo + k * segment + int(rng.integers(50, segment - size - 49))
        exons.append((a, a + size))
    exons.append((length - last, length))
    return exons


def _to_genome(
    offsets: list[tuple[int, int]], start: int, end: int, strand: str
) -> tuple[tuple[int, int], ...]:
    """Map transcript-direction offsets of a gene [start, end) to ascending genomic exons."""
    if strand == "+":
        return tuple((start + a, start + b) for a, b in offsets)
    return tuple(sorted((end - b, end - a) for a, b in offsets))


def _gene(rng: np.random.Generator, start: int, length: int, tag: str) -> Gene:
    """One gene at [start, start + length) with its primary and maybe an alternative-TSS transcript.

    ``tag`` (chromosome and gene number, e.g. ``"010003"``) makes the ids ``DEMOG<tag>.1``, ``DEMOT<tag><k>.1``.
    """
    strand = "+" if rng.random() < 0.5 else "-"
    gene_type = "lncRNA" if rng.random() < 0.2 else "protein_coding"
    end = start + length
    primary = _exon_offsets(rng, length)
    transcripts = [Transcript(f"DEMOT{tag}1.1", strand, _to_genome(primary, start, end, strand))]
    if length >= 12_000 and rng.random() < P_ALT_TSS:
        alt_tss = int(rng.integers(2500, 6001))
        first_end = alt_tss + int(rng.integers(100, 301))
        alt = [(alt_tss, first_end)] + [(a, b) for a, b in primary if a >= first_end + 100]
        transcripts.append(Transcript(f"DEMOT{tag}2.1", strand, _to_genome(alt, start, end, strand)))
    return Gene(f"DEMOG{tag}.1", f"DEMO{tag}", gene_type, strand, tuple(transcripts))


def _genes(rng: np.random.Generator, chrom_index: int, length: int) -> list[Gene]:
    genes = []
    pos = MARGIN_BP + int(rng.integers(0, 4000))
    while True:
        size = int(np.exp(rng.uniform(np.log(5000), np.log(40_000))))
        if pos + size + MARGIN_BP > length:
            return genes
        genes.append(_gene(rng, pos, size, f"{chrom_index + 1:02d}{len(genes) + 1:04d}"))
        pos += size + 2000 + int(rng.exponential(5000))


def _island_length(rng: np.random.Generator) -> int:
    return int(np.clip(np.exp(rng.normal(np.log(700), 0.35)), 500, 2000))


def _merge(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def _islands(rng: np.random.Generator, length: int, tss: np.ndarray) -> tuple[tuple[int, int], ...]:
    islands = []
    for t in tss:
        if rng.random() < P_TSS_ISLAND:
            size = _island_length(rng)
            s = int(t) - int(size * rng.uniform(0.3, 0.7))
            islands.append((max(s, 0), min(s + size, length)))
    n_orphans, placed, attempts = max(1, round(length / 200_000)), 0, 0
    while placed < n_orphans and attempts < 200:
        attempts += 1
        size = _island_length(rng)
        s = int(rng.integers(MARGIN_BP, length - MARGIN_BP - size))
        if distance_to_points(s, s + size, tss) >= 3000 and not overlaps(s, s + size, islands, pad=500):
            islands.append((s, s + size))
            placed += 1
    return _merge(islands)


def _enhancers(
    rng: np.random.Generator, length: int, tss: np.ndarray, avoid: list[tuple[int, int]]
) -> tuple[Enhancer, ...]:
    """Enhancers off ``avoid`` (exons, islands), at least ``ENHANCER_TSS_GAP`` from every TSS."""
    target, placed, attempts = round(length / 8000), [], 0
    while len(placed) < target and attempts < 50 * target:
        attempts += 1
        size = int(rng.integers(200, 1001))
        if rng.random() < 0.25 and tss.size:
            anchor = int(tss[rng.integers(0, tss.size)])
            gap = int(rng.integers(ENHANCER_TSS_GAP, PROXIMAL_ENHANCER_BP))
            s = anchor + gap + 1 if rng.random() < 0.5 else anchor - gap - size
        else:
            s = int(rng.integers(MARGIN_BP, length - MARGIN_BP - size))
        e = s + size
        if s < MARGIN_BP or e > length - MARGIN_BP or distance_to_points(s, e, tss) < ENHANCER_TSS_GAP:
            continue
        if overlaps(s, e, avoid, pad=200) or overlaps(s, e, [(x.start, x.end) for x in placed], pad=500):
            continue
        cre_class = "pELS" if distance_to_points(s, e, tss) < PROXIMAL_ENHANCER_BP else "dELS"
        placed.append(Enhancer(s, e, cre_class))
    return tuple(sorted(placed, key=lambda x: x.start))


def _place(
    rng: np.random.Generator,
    length: int,
    count: int,
    size_range: tuple[int, int],
    avoid: list[tuple[int, int]],
    pad: int,
) -> tuple[tuple[int, int], ...]:
    """Up to ``count`` non-overlapping intervals of a size in ``size_range`` at least ``pad`` bp from ``avoid``."""
    placed: list[tuple[int, int]] = []
    for _ in range(100 * count):
        if len(placed) == count:
            break
        size = int(rng.integers(size_range[0], size_range[1] + 1))
        s = int(rng.integers(1, length - size - 1))
        if not overlaps(s, s + size, avoid + placed, pad=pad):
            placed.append((s, s + size))
    return tuple(sorted(placed))


def lay_out_chromosome(seed: int, chrom_index: int, length: int, name: str = "") -> ChromLayout:
    """Draw the features of chromosome ``chrom_index`` (0-based) of ``length`` bp, named ``name``
    (default ``chr{chrom_index + 1}``); the name changes no draw."""
    rng = stream(seed, "layout", chrom_index)
    genes = _genes(rng, chrom_index, length)
    tss = tss_positions(genes)
    islands = _islands(rng, length, tss)
    exons = [e for g in genes for t in g.transcripts for e in t.exons]
    enhancers = _enhancers(rng, length, tss, exons + list(islands))
    features = [(g.start, g.end) for g in genes] + list(islands) + [(x.start, x.end) for x in enhancers]
    n_runs = _place(rng, length, 1 + (length >= 150_000), (50, 300), features, pad=2000)
    repeats = _place(rng, length, max(2, length // 25_000), (200, 800), list(islands) + list(n_runs), pad=100)
    return ChromLayout(
        name or f"chr{chrom_index + 1}", length, tuple(genes), islands, enhancers, n_runs, repeats
    )


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return " ".join(f'{k} "{v}";' if not v.isdigit() else f"{k} {v};" for k, v in pairs)


def gtf_lines(layouts: list[ChromLayout]) -> list[str]:
    """GENCODE-style GTF rows (1-based, inclusive): gene, then per transcript its transcript and exon rows.

    Exons are numbered in transcript direction, as GENCODE does (exon 1 holds the TSS).
    """
    lines = [
        "##description: EpiBench demo annotation (synthetic)",
        "##provider: epibench.demo",
        "##format: gtf",
    ]
    for layout in layouts:
        for g in layout.genes:
            gene_attrs = [
                ("gene_id", g.gene_id),
                ("gene_type", g.gene_type),
                ("gene_name", g.gene_name),
            ]
            row = f"{layout.name}\tDEMO\t{{}}\t{{}}\t{{}}\t.\t{g.strand}\t.\t{{}}"
            lines.append(row.format("gene", g.start + 1, g.end, _attributes(gene_attrs + [("level", "2")])))
            for t in g.transcripts:
                tx_attrs = [
                    ("gene_id", g.gene_id),
                    ("transcript_id", t.transcript_id),
                    ("gene_type", g.gene_type),
                    ("gene_name", g.gene_name),
                    ("transcript_type", g.gene_type),
                ]
                lines.append(
                    row.format("transcript", t.start + 1, t.end, _attributes(tx_attrs + [("level", "2")]))
                )
                ordered = t.exons if g.strand == "+" else t.exons[::-1]
                for k, (s, e) in enumerate(ordered, start=1):
                    lines.append(
                        row.format(
                            "exon",
                            s + 1,
                            e,
                            _attributes(tx_attrs + [("exon_number", str(k)), ("level", "2")]),
                        )
                    )
    return lines


def enhancer_bed_lines(layouts: list[ChromLayout]) -> list[str]:
    """BED6 rows: chrom, start, end, cCRE class (name), score 0, strand '.'."""
    return [f"{lay.name}\t{x.start}\t{x.end}\t{x.cre_class}\t0\t." for lay in layouts for x in lay.enhancers]


def island_bed_lines(layouts: list[ChromLayout]) -> list[str]:
    """BED4 rows of the planted CpG islands: chrom, start, end, name ``CGI``."""
    return [f"{lay.name}\t{s}\t{e}\tCGI" for lay in layouts for s, e in lay.islands]
