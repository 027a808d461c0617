"""End-to-end: a methylation-only cohort (WGBS, no histone ChIP) through the whole workflow.

Two samples with methylation calls and a sample sheet of sample, methylation and format only,
``marks: []``, the CNN and the hybrid at tiny sizes, nothing optional: the models read the
sequence alone, the tree baseline runs as gbm_region, the mark ablation (on by default) and the
histone figures are skipped, and the report says why. sample2's calls come as a PacBio HiFi
pileup (pb-CpG-tools' ``.combined.bed.gz``: strands collapsed onto the C, its v3 header; format
detected), so the scattered ingest reads that format end to end, and its sequences are named by
GenBank-style accessions that only the cohort's UCSC-style ``chromAlias.txt``
(``reference.chrom_aliases``) ties to the FASTA's names. Kept small for CI: one run of the
default target, well under 2 minutes on 2 cores.
"""

from __future__ import annotations

import gzip
import json
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import copy_workflow, snakemake, tiny_demo_data
from epibench.io.methylation.canonical import MIN_COVERAGE  # the config leaves ingest.min_coverage at it

pytestmark = pytest.mark.workflow
RESULTS = "results/tiny"


PBCPG_HEADER = (
    "##pb-cpg-tools-version=3.0.0\n##pileup-mode=count\n#chrom\tbegin\tend\tmod_score\ttype\tcov\t"
    + ("mod_count\tunmod_count\tavg_mod_score\tavg_unmod_score\n")
)


def _accession(chrom: str) -> str:
    """The made-up GenBank-style name sample2's pileup gives the FASTA's ``chrom`` (chr1 -> CM099001.1)."""
    return f"CM099{int(chrom.removeprefix('chr')):03d}.1"


def _as_pbcpg(root: Path, cov: str) -> Path:
    """A Bismark coverage file's calls as pb-CpG-tools writes a pileup (count mode): the two strands
    of each CpG summed onto its C (0-based begin), sequences named by ``_accession``, beside it; its
    relative path."""
    genome: dict[str, str] = {}
    for line in (root / "resources/tiny/genome.fa").read_text().splitlines():
        if line.startswith(">"):
            chrom = line[1:].split()[0]
            genome[chrom] = ""
        else:
            genome[chrom] += line.strip().upper()
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    with gzip.open(root / cov, "rt") as text:
        for line in text:
            chrom, position, _, _, meth, unmeth = line.split("\t")
            c = int(position) - 1 if genome[chrom][int(position) - 1] == "C" else int(position) - 2
            old = counts.get((chrom, c), (0, 0))
            counts[(chrom, c)] = (old[0] + int(meth), old[1] + int(meth) + int(unmeth))
    path = Path(cov).parent / "sample2.combined.bed.gz"
    with gzip.open(root / path, "wt") as out:
        out.write(PBCPG_HEADER)
        for (chrom, c), (meth, total) in sorted(counts.items()):
            score = 100 * meth / total if total else 0.0
            out.write(
                f"{_accession(chrom)}\t{c}\t{c + 1}\t{score:.1f}\tTotal\t{total}\t{meth}\t{total - meth}\t90.0\t10.0\n"
            )
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of the workflow with a two-sample methylation-only cohort, after one complete run."""
    root = copy_workflow(tmp_path_factory.mktemp("methylation only"))
    sheet_path = tiny_demo_data(root, samples=2)
    sheet = pd.read_csv(sheet_path, sep="\t", dtype=str)
    pileup = _as_pbcpg(root, sheet.loc[sheet["sample"] == "sample2", "methylation"].item())
    sheet.loc[sheet["sample"] == "sample2", ["methylation", "format"]] = [str(pileup), "auto"]
    sheet[["sample", "methylation", "format"]].to_csv(sheet_path, sep="\t", index=False)
    for bigwig in sheet_path.parent.glob("*.bw"):  # no mark file is left for any rule to read
        bigwig.unlink()
    config = yaml.safe_load((root / "config/tiny.yaml").read_text())
    aliases = root / "resources/tiny/chromAlias.txt"
    aliases.write_text("# ucsc\tgenbank\n" + "".join(f"chr{n}\t{_accession(f'chr{n}')}\n" for n in (1, 2, 3)))
    config["reference"]["chrom_aliases"] = str(aliases.relative_to(root))
    config["marks"] = []
    config["models"] = {name: config["models"][name] for name in ("cnn", "hybrid")}
    config["shards"]["scatter_min_share"] = 1.0  # the three chromosomes in one shard job per sample
    config["train"]["threads"] = 1  # the two trainings side by side on 2 cores
    # no ensemble, only the tree baseline; ablation on by default, skipped without marks
    config["evaluate"] = {"n_boot": 20, "baselines": ["gbm_histone"]}
    del config["learning_curve"]
    config["attribute"]["max_steps"] = config["attribute"]["n_steps"]
    (root / "config/tiny.yaml").write_text(yaml.safe_dump(config))
    snakemake(root)
    return root


def test_models_train_on_the_sequence_and_record_zero_marks(workdir):
    for model in ("cnn", "hybrid"):
        meta = json.loads((workdir / f"{RESULTS}/models/{model}/model.json").read_text())
        assert meta["n_marks"] == 0 and meta["marks"] == [], model
    for manifest_path in (workdir / f"{RESULTS}/shards").glob("sample*/*/manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        assert manifest["marks"] == [] and manifest["arrays"]["hist"]["shape"][1] == 0


def test_leaderboard_has_the_models_and_the_baseline_without_histone_features(workdir):
    board = pd.read_csv(workdir / f"{RESULTS}/evaluation/leaderboard.tsv", sep="\t").set_index("model")
    assert set(board.index) == {"cnn", "hybrid", "ceiling", "gbm_region"}
    assert board.loc["gbm_region", "kind"] == "baseline"
    record = json.loads((workdir / f"{RESULTS}/evaluation/baselines/gbm_region.json").read_text())
    assert not any("_bin" in feature for feature in record["features"]), "no histone feature"


def test_report_says_no_histone_marks_and_shows_no_histone_figure(workdir):
    html = unescape((workdir / f"{RESULTS}/report/index.html").read_text())
    evaluation = html[html.index("id='Evaluation'") : html.index("id='Interpretation'")]
    interpretation = html[html.index("id='Interpretation'") :]
    assert "no histone marks" in evaluation and "no histone marks" in interpretation
    images = re.findall(r"<img src='([^']+)'", html)
    assert "interpret_sequence_attribution.png" in images and "interpret_cpg_explanations.png" in images
    assert not [i for i in images if "histone_attribution" in i or "attention" in i or "ablation" in i]
    interpret = workdir / f"{RESULTS}/interpret"
    assert not (interpret / "histone_attribution.png").exists() and not (interpret / "attention.png").exists()
    assert not (workdir / f"{RESULTS}/evaluation/ablation").exists()


def test_tracks_are_exported_without_mark_bigwigs(workdir):
    hub = json.loads((workdir / f"{RESULTS}/tracks/hub.json").read_text())
    assert {entry["name"] for entry in hub} >= {"hybrid.sample1.predicted", "hybrid.sample1.attribution"}
    assert not (workdir / f"{RESULTS}/tracks/inputs").exists()


def test_the_pacbio_pileup_is_read_as_its_cpgs(workdir):
    """sample2's canonical CpGs are the pileup's rows with at least min_coverage reads, its counts, on
    the FASTA's sequences its accessions name."""
    qc = json.loads((workdir / f"{RESULTS}/qc/sample2.ingest.json").read_text())
    assert qc["format"] == "pbcpg" and qc["n_off_cg_dropped"] == 0
    rows = pd.read_csv(workdir / "resources/tiny/sample2.combined.bed.gz", sep="\t", comment="#", header=None)
    rows = rows[rows[5] >= MIN_COVERAGE].sort_values([0, 1], ignore_index=True)
    table = pd.concat(
        pd.read_parquet(p) for p in (workdir / f"{RESULTS}/methylation/sample2/cpgs").glob("*.parquet")
    )
    table = table.sort_values(["chrom", "pos"], ignore_index=True)
    assert len(table) == len(rows) > 1000
    fasta_name = {_accession(f"chr{n}"): f"chr{n}" for n in (1, 2, 3)}
    assert table["chrom"].astype(str).tolist() == rows[0].map(fasta_name).tolist()
    assert table["pos"].tolist() == rows[1].tolist()
    names = pd.read_csv(workdir / f"{RESULTS}/qc/sample_chrom_names.tsv", sep="\t")
    renamed = names[names["input"].str.startswith("sample2")]
    assert dict(zip(renamed["name_in_file"], renamed["name_in_reference"])) == fasta_name
    assert table["n_meth"].tolist() == rows[6].tolist() and table["n_total"].tolist() == rows[5].tolist()
