"""Tests of the demo-cohort generator, epibench.demo.generate.generate_demo.

Every check re-derives what it needs from the written files with its own small
parsers (FASTA, GTF, the three methylation formats), never through the generator's code.
"""

from __future__ import annotations

import bisect
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from epibench.demo.generate import generate_demo

SMALL = (60_000, 60_000)
MARKS = ("H3K4me3", "H3K27ac", "H3K36me3")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "cohort"
    generate_demo(out, chrom_lengths=SMALL, n_samples=3, seed=7)
    return out


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory) -> Path:
    """The default cohort (5 x 200 kb, 3 samples): big enough for the cohort-wide shares."""
    out = tmp_path_factory.mktemp("full") / "cohort"
    generate_demo(out)
    return out


def read_fasta(path: Path) -> dict[str, str]:
    """Name -> sequence as written (case kept)."""
    seqs: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        else:
            seqs[name].append(line)
    return {k: "".join(v) for k, v in seqs.items()}


def upper_fasta(path: Path) -> dict[str, str]:
    return {k: v.upper() for k, v in read_fasta(path).items()}


def cpg_positions(seq: str) -> list[int]:
    return [m.start() for m in re.finditer("CG", seq)]


def read_gtf(path: Path) -> pd.DataFrame:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        attrs = dict(re.findall(r'(\S+) "?([^";]+)"?;', f[8]))
        rows.append(
            {
                "chrom": f[0],
                "feature": f[2],
                "start": int(f[3]) - 1,
                "end": int(f[4]),
                "strand": f[6],
                **attrs,
            }
        )
    return pd.DataFrame(rows)


def tss_by_chrom(gtf: pd.DataFrame) -> dict[str, list[int]]:
    tx = gtf[gtf.feature == "transcript"]
    tss = np.where(tx.strand == "+", tx.start, tx.end - 1)
    out: dict[str, list[int]] = {}
    for chrom, t in zip(tx.chrom, tss):
        out.setdefault(chrom, []).append(int(t))
    return {k: sorted(v) for k, v in out.items()}


def read_bed(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", header=None)


def in_any(pos: int, intervals: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in intervals)


def read_sheet(demo: Path) -> pd.DataFrame:
    return pd.read_csv(demo / "samples.tsv", sep="\t")


def methylation_rows(path: Path, fmt: str) -> pd.DataFrame:
    """chrom, pos (0-based position of the cytosine), strand, context, depth, meth for one file."""
    rows = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if fmt == "methylc":
                depth = int(f[6])
                rows.append((f[0], int(f[1]), f[5], f[3], depth, round(float(f[4]) * depth)))
            elif fmt == "bedmethyl":
                if line.startswith("track"):
                    continue
                depth = int(f[9])
                rows.append((f[0], int(f[1]), f[5], f[11], depth, round(int(f[10]) * depth / 100)))
            else:
                n_meth, n_unmeth = int(f[4]), int(f[5])
                assert float(f[3]) == pytest.approx(100 * n_meth / (n_meth + n_unmeth))
                assert f[1] == f[2]
                # Bismark coverage has no strand column: a C (+) or a G (-) says which one it is.
                rows.append((f[0], int(f[1]) - 1, "?", "CG", n_meth + n_unmeth, n_meth))
    return pd.DataFrame(rows, columns=["chrom", "pos", "strand", "context", "depth", "meth"])


def cpg_truth(demo: Path) -> pd.DataFrame:
    return pd.read_csv(demo / "truth.tsv.gz", sep="\t")


def test_same_seed_same_bytes_and_relative_paths(tmp_path, monkeypatch):
    digests = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        monkeypatch.chdir(tmp_path / run)
        generate_demo(Path("demo"), chrom_lengths=SMALL, n_samples=3, seed=11)
        files = sorted(Path("demo").iterdir())
        digests.append({f.name: f.read_bytes() for f in files})
    assert digests[0].keys() == digests[1].keys()
    for name in digests[0]:
        assert digests[0][name] == digests[1][name], name
    sheet = pd.read_csv(tmp_path / "b" / "demo" / "samples.tsv", sep="\t")
    assert all(p.startswith("demo/") for p in sheet.methylation)


def test_different_seed_different_files(demo, tmp_path):
    other = tmp_path / "other"
    generate_demo(other, chrom_lengths=SMALL, n_samples=3, seed=8)
    for name in (
        "genome.fa",
        "genes.gtf",
        "truth.tsv.gz",
        "sample1.bedMethyl.gz",
        "sample1.H3K4me3.bw",
    ):
        assert (demo / name).read_bytes() != (other / name).read_bytes(), name


def test_chromosome_names_rename_every_file_and_change_nothing_else(demo, tmp_path):
    """``chrom_names`` (a cohort with its own naming: 2L, NC_ accessions): every file names the
    sequences so, and holds what the default-named cohort of the same seed holds."""
    named = tmp_path / "named"
    generate_demo(named, chrom_lengths=SMALL, n_samples=3, seed=7, chrom_names=["2L", "NC_003070.9"])
    rename = {"chr1": "2L", "chr2": "NC_003070.9"}
    assert read_fasta(named / "genome.fa") == {
        rename[k]: v for k, v in read_fasta(demo / "genome.fa").items()
    }
    for name in ("genes.gtf", "enhancers.bed", "cpg_islands.bed"):
        default_lines = [line.split("\t") for line in (demo / name).read_text().splitlines()]
        renamed = ["\t".join([rename.get(f[0], f[0]), *f[1:]]) for f in default_lines]
        assert (named / name).read_text().splitlines() == renamed, name
    truth, default_truth = cpg_truth(named), cpg_truth(demo)
    assert truth["chrom"].tolist() == default_truth["chrom"].map(rename).tolist()
    assert truth.drop(columns="chrom").equals(default_truth.drop(columns="chrom"))
    with gzip.open(named / "sample1.bedMethyl.gz", "rt") as handle:
        chroms = {line.split("\t")[0] for line in handle if not line.startswith("track")}
    assert chroms == set(rename.values())
    with pyBigWig.open(str(named / "sample2.H3K4me3.bw")) as bw:
        assert bw.chroms() == {"2L": SMALL[0], "NC_003070.9": SMALL[1]}
    with gzip.open(named / "variants.vcf.gz", "rt") as handle:
        contigs = [line for line in handle if line.startswith("##contig")]
    assert contigs == [f"##contig=<ID={n},length={n_bp}>\n" for n, n_bp in zip(rename.values(), SMALL)]


@pytest.mark.parametrize("names", [["2L"], ["2L", "2L"], ["2L", "chr 2"]])
def test_chromosome_names_one_distinct_word_per_length(tmp_path, names):
    with pytest.raises(ValueError, match="one distinct name without spaces per chromosome"):
        generate_demo(tmp_path / "d", chrom_lengths=SMALL, n_samples=1, chrom_names=names)


def test_returned_paths_exist(tmp_path):
    paths = generate_demo(tmp_path / "d", chrom_lengths=(30_000,), n_samples=2, seed=3)
    flat = [paths[k] for k in ("genome", "genes", "enhancers", "cpg_islands", "truth", "samples", "manifest")]
    flat += list(paths["methylation"].values())
    flat += [p for marks in paths["marks"].values() for p in marks.values()]
    assert all(Path(p).is_file() for p in flat)
    assert len(flat) == 7 + 2 + 2 * 3
    assert not [p for p in (tmp_path / "d").iterdir() if ".tmp-" in p.name]


def test_fasta_islands_and_background_differ_as_designed(demo):
    raw = read_fasta(demo / "genome.fa")
    assert list(raw) == ["chr1", "chr2"]
    assert [len(s) for s in raw.values()] == list(SMALL)
    lines = (demo / "genome.fa").read_text().splitlines()
    assert max(len(x) for x in lines if not x.startswith(">")) == 60
    assert any(c.islower() for s in raw.values() for c in s), "soft-masked repeats expected"
    assert any("N" in s for s in raw.values()), "N runs expected"
    islands = read_bed(demo / "cpg_islands.bed")
    assert ((islands[2] - islands[1]) >= 500).all()

    def stats(seq: str) -> tuple[float, float]:
        c, g = seq.count("C"), seq.count("G")
        return (c + g) / len(seq), seq.count("CG") * len(seq) / (c * g)

    seqs = upper_fasta(demo / "genome.fa")
    inside = "".join(seqs[c][s:e] for c, s, e in islands[[0, 1, 2]].itertuples(index=False))
    outside = []
    for chrom, seq in seqs.items():
        mask = np.zeros(len(seq), bool)
        for s, e in islands[islands[0] == chrom][[1, 2]].itertuples(index=False):
            mask[s:e] = True
        outside.append("".join(np.array(list(seq))[~mask]).replace("N", ""))
    gc_in, oe_in = stats(inside)
    gc_out, oe_out = stats("".join(outside))
    assert gc_in > 0.58 and oe_in > 0.6
    assert 0.37 < gc_out < 0.45 and oe_out < 0.35


def test_every_methylation_row_sits_on_a_cpg(demo):
    seqs = upper_fasta(demo / "genome.fa")
    sheet = read_sheet(demo)
    assert sheet.columns.tolist() == ["sample", "methylation", "format", *MARKS]
    assert sorted(sheet.format) == ["bedmethyl", "bismark_cov", "methylc"]
    for row in sheet.itertuples(index=False):
        rows = methylation_rows(Path(row.methylation), row.format)
        assert len(rows) > 1000
        base = np.array([seqs[c][p] for c, p in zip(rows.chrom, rows.pos)])
        cg = rows.context == "CG"
        if row.format == "methylc":
            assert (~cg).sum() > 0, "a few CHG/CHH rows expected in methylC"
        on_plus = np.array([seqs[c][p : p + 2] == "CG" for c, p in zip(rows.chrom, rows.pos)])
        on_minus = np.array([p > 0 and seqs[c][p - 1 : p + 1] == "CG" for c, p in zip(rows.chrom, rows.pos)])
        strand_ok = np.where(
            rows.strand == "+", on_plus, np.where(rows.strand == "-", on_minus, on_plus | on_minus)
        )
        assert strand_ok[cg].all(), f"{row.format}: {(~strand_ok[cg]).sum()} CG rows off a CpG"
        assert (on_plus[cg] & (base[cg] == "C")).sum() > 0 and (on_minus[cg] & (base[cg] == "G")).sum() > 0
        assert not (on_plus | on_minus)[~cg].any(), "non-CG rows must not sit on a CpG"
        assert (rows.depth > 0).all() and (rows.meth <= rows.depth).all()


def test_truth_lists_every_cpg_of_the_fasta_and_its_motif(demo):
    seqs = upper_fasta(demo / "genome.fa")
    truth = cpg_truth(demo)
    assert truth.columns.tolist() == ["sample", "chrom", "pos", "p_meth", "motif"]
    for sample, part in truth.groupby("sample"):
        for chrom, seq in seqs.items():
            assert part[part.chrom == chrom].pos.tolist() == cpg_positions(seq)
    one = truth[truth["sample"] == "sample1"]
    for chrom, seq in seqs.items():
        motifs = sorted(m.start() for pat in ("TGACTCA", "TGAGTCA") for m in re.finditer(f"(?={pat})", seq))
        expected = []
        for c in one[one.chrom == chrom].pos:
            right = bisect.bisect_left(motifs, c + 2)
            left = bisect.bisect_right(motifs, c - 7) - 1
            near = (right < len(motifs) and motifs[right] - (c + 2) <= 50) or (
                left >= 0 and c - (motifs[left] + 7) <= 50
            )
            expected.append(int(near))
        assert one[one.chrom == chrom].motif.tolist() == expected
    assert 0.05 < one.motif.mean() < 0.3


def test_motif_cpgs_are_less_methylated(demo):
    truth = cpg_truth(demo)
    assert truth[truth.motif == 1].p_meth.mean() < truth[truth.motif == 0].p_meth.mean() - 0.25


def test_cgi_promoters_unmethylated_gene_bodies_methylated(demo):
    truth = cpg_truth(demo)
    gtf = read_gtf(demo / "genes.gtf")
    tss = tss_by_chrom(gtf)
    islands = read_bed(demo / "cpg_islands.bed")
    genes = gtf[gtf.feature == "gene"]
    cgi_promoter, body = [], []
    for c, p in zip(truth.chrom, truth.pos):
        near = min(abs(p - t) for t in tss.get(c, [10**12]))
        isl = in_any(p, list(islands[islands[0] == c][[1, 2]].itertuples(index=False, name=None)))
        in_gene = in_any(
            p, list(genes[genes.chrom == c][["start", "end"]].itertuples(index=False, name=None))
        )
        cgi_promoter.append(near <= 1000 and isl)
        body.append(in_gene and near > 2000 and not isl)
    unmeth = truth.p_meth < 0.5
    share_prom = unmeth[np.array(cgi_promoter)].mean()
    share_body = unmeth[np.array(body)].mean()
    assert sum(cgi_promoter) > 50 and sum(body) > 500
    assert share_prom > 0.8 and share_body < 0.35
    assert share_prom > share_body + 0.5


def test_bigwigs_have_fasta_chroms_and_planted_signal(demo):
    seqs = read_fasta(demo / "genome.fa")
    sizes = {k: len(v) for k, v in seqs.items()}
    gtf = read_gtf(demo / "genes.gtf")
    tss = tss_by_chrom(gtf)
    genes = gtf[gtf.feature == "gene"]
    offset = dict(zip(sizes, np.cumsum([0, *sizes.values()])))
    genic = np.zeros(sum(sizes.values()), bool)
    for c, s, e in genes[["chrom", "start", "end"]].itertuples(index=False):
        genic[offset[c] + max(s - 2000, 0) : offset[c] + e + 2000] = True
    for row in read_sheet(demo).itertuples(index=False):
        for mark in MARKS:
            with pyBigWig.open(str(getattr(row, mark))) as bw:
                assert bw.chroms() == sizes
                values = {c: np.array(bw.values(c, 0, n)) for c, n in sizes.items()}
            flat = np.concatenate(list(values.values()))
            assert np.nanmin(flat) >= 0
            background = np.nanmedian(flat[~genic])
            assert 0.7 < background < 1.3, mark
            if mark == "H3K4me3":
                near_tss = np.concatenate([values[c][max(t - 500, 0) : t + 500] for c in tss for t in tss[c]])
                assert np.nanmean(near_tss) > 2.5 * background
            if mark == "H3K36me3":
                assert np.nanmean(flat[genic]) > 1.3 * np.nanmean(flat[~genic])


def test_one_track_has_a_gap_with_no_entries(demo):
    gap = json.loads((demo / "demo.json").read_text())["missing_signal"]
    sheet = read_sheet(demo).set_index("sample")
    with pyBigWig.open(str(sheet.loc[gap["sample"], gap["mark"]])) as bw:
        inside = np.array(bw.values(gap["chrom"], gap["start"], gap["end"]))
        before = np.array(bw.values(gap["chrom"], max(gap["start"] - 500, 0), gap["start"]))
        assert bw.intervals(gap["chrom"], gap["start"], gap["end"]) in (None, ())
    assert np.isnan(inside).all() and gap["end"] - gap["start"] >= 1000
    assert not np.isnan(before).any()
    other = [s for s in sheet.index if s != gap["sample"]][0]
    with pyBigWig.open(str(sheet.loc[other, gap["mark"]])) as bw:
        assert not np.isnan(bw.values(gap["chrom"], gap["start"], gap["end"])).any()


def test_annotation_shapes(full_demo):
    gtf = read_gtf(full_demo / "genes.gtf")
    genes = gtf[gtf.feature == "gene"]
    tx = gtf[gtf.feature == "transcript"]
    exons = gtf[gtf.feature == "exon"]
    assert set(genes.strand) == {"+", "-"}
    assert ((genes.end - genes.start).between(5000, 40_000)).all()
    assert exons.groupby("transcript_id").size().between(2, 6).all()
    assert (tx.groupby("gene_id").size() == 2).any()
    assert {"gene_id", "transcript_id", "gene_name", "gene_type"} <= set(exons.columns)
    tss = tss_by_chrom(gtf)
    islands = read_bed(full_demo / "cpg_islands.bed")
    in_island = [
        in_any(t, list(islands[islands[0] == c][[1, 2]].itertuples(index=False, name=None)))
        for c in tss
        for t in tss[c]
    ]
    assert 0.45 < np.mean(in_island) < 0.8
    enh = read_bed(full_demo / "enhancers.bed")
    assert enh.shape[1] == 6 and set(enh[3]) == {"dELS", "pELS"}
    assert ((enh[2] - enh[1]).between(200, 1000)).all()
    exon_iv = {
        c: list(part[["start", "end"]].itertuples(index=False, name=None))
        for c, part in exons.groupby("chrom")
    }
    for c, s, e in enh[[0, 1, 2]].itertuples(index=False):
        assert min(max(s - t, t - (e - 1), 0) for t in tss[c]) >= 1000
        assert not any(s < x_e and x_s < e for x_s, x_e in exon_iv[c])


def test_cohort_shares(full_demo):
    truth = cpg_truth(full_demo)
    assert 0.65 < (truth.p_meth >= 0.5).mean() < 0.85
    sheet = read_sheet(full_demo)
    row = sheet[sheet.format == "bedmethyl"].iloc[0]
    rows = methylation_rows(Path(row.methylation), row.format)
    merged_pos = np.where(rows.strand == "+", rows.pos, rows.pos - 1)
    depth = rows.groupby([rows.chrom, merged_pos]).depth.sum()
    n_cpgs = (truth["sample"] == row["sample"]).sum()
    assert 0.04 < (depth < 5).mean() < 0.25
    assert 0 < n_cpgs - len(depth) < 0.05 * n_cpgs, "some CpGs should be uncovered"
    assert 9 < depth.mean() < 14


@pytest.fixture(scope="module")
def with_tumour(tmp_path_factory) -> Path:
    """Two normal samples and one tumour of purity 0.6 on 2 x 200 kb."""
    out = tmp_path_factory.mktemp("tumour") / "cohort"
    generate_demo(out, chrom_lengths=(200_000, 200_000), n_samples=2, n_tumours=1, purity=0.6)
    return out


def test_a_tumour_gains_methylation_on_cimp_islands_and_loses_it_in_pmds(with_tumour):
    sheet = pd.read_csv(with_tumour / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert sheet["condition"].tolist() == ["normal", "normal", "tumour"]
    assert sheet["purity"].tolist() == ["", "", "0.6"]
    truth = cpg_truth(with_tumour)
    regions = read_bed(with_tumour / "tumour_regions.bed")
    assert set(regions[3]) == {"cimp_island", "pmd"}
    kind = {}
    for chrom, start, end, name in regions.itertuples(index=False):
        rows = truth[(truth.chrom == chrom) & (truth.pos >= start) & (truth.pos < end)]
        for key in zip(rows.chrom, rows.pos):
            kind[key] = name
    truth["kind"] = [kind.get(key, "other") for key in zip(truth.chrom, truth.pos)]
    mean = truth.groupby(["kind", "sample"]).p_meth.mean()
    normal = ["sample1", "sample2"]
    # CIMP islands: unmethylated in normals, more than half methylated at purity 0.6
    assert mean["cimp_island"][normal].max() < 0.3 and mean[("cimp_island", "tumour1")] > 0.5
    assert mean[("pmd", "tumour1")] < mean["pmd"][normal].min() - 0.05
    assert abs(mean[("other", "tumour1")] - mean["other"][normal].mean()) < 0.05


@pytest.mark.parametrize("lengths", ["240000,16596", "200000,abc"])
def test_demo_data_out_of_range_says_so_in_one_line(tmp_path, capsys, lengths):
    """A 16.6-kb mitochondrion (or a typo) in --chrom-lengths: an error line naming the limit, no
    traceback."""
    from epibench.cli import main

    assert main(["demo-data", "--out", str(tmp_path / "d"), "--chrom-lengths", lengths]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: demo-data: ") and "Traceback" not in err
    if "abc" not in lengths:
        assert "chromosomes of >= 20000 bp" in err
