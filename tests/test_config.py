"""epibench.config: defaults filled from the schema, a bad sheet row named by its line, and what the
workflow derives from a config (learning-curve and leave-one-sample-out runs, the baselines of a
cohort without marks, the output plan). Generated damage: tests/test_bad_inputs_config.py."""

from __future__ import annotations

import copy
import os
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from epibench import config as cohort_config
from epibench.config import ConfigError, model_train_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cohort(tmp_path) -> dict:
    """A config naming small files that exist, with two samples with calls and one to predict."""
    for name in ("genome.fa", "genes.gtf", "a.bed", "b.bed", "a.bw", "b.bw", "c.bw"):
        (tmp_path / name).write_text("x\n")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tmethylation\tH3K4me3\n"
        f"a\t{tmp_path / 'a.bed'}\t{tmp_path / 'a.bw'}\n"
        f"b\t{tmp_path / 'b.bed'}\t{tmp_path / 'b.bw'}\n"
        f"c\t\t{tmp_path / 'c.bw'}\n"
    )
    return {
        "cohort": "t",
        "samples": str(sheet),
        "reference": {"fasta": str(tmp_path / "genome.fa"), "gtf": str(tmp_path / "genes.gtf")},
        "marks": ["H3K4me3"],
        "models": {"cnn": {"arch": "cnn"}, "hybrid": {"arch": "hybrid", "d_model": 32}},
    }


def test_schema_defaults_fill_every_section(cohort):
    schema = yaml.safe_load((REPO / "epibench/schemas/config.schema.yaml").read_text())
    config = copy.deepcopy(cohort)
    cohort_config.apply_schema(config)
    assert config["evaluate"]["n_boot"] == schema["properties"]["evaluate"]["properties"]["n_boot"]["default"]
    assert config["shards"]["window"] == schema["properties"]["shards"]["properties"]["window"]["default"]
    assert config["reference"]["tads"] == "" and config["covariates"] == []
    again = copy.deepcopy(cohort)
    cohort_config.apply_schema(again)
    config["evaluate"]["baselines"].append("x")
    assert "x" not in again["evaluate"]["baselines"], "each config gets its own copy of a default"


def test_a_misspelt_key_is_named_without_calling_the_file_no_config(cohort, tmp_path):
    config_file = tmp_path / "cohort.yaml"
    cohort["splitt"] = {"mode": "blocks"}
    config_file.write_text(yaml.safe_dump(cohort))
    with pytest.raises(ConfigError) as error:
        cohort_config.apply_schema(cohort, [config_file])
    assert "unknown key(s) splitt in the top level" in str(error.value)
    assert "no EpiBench config file" not in str(error.value)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"dmodel": 32},
            r"models.hybrid: hybrid models have no setting 'dmodel' \(did you mean 'd_model'\?\)",
        ),
        ({"d_model": "32"}, r"models.hybrid.d_model: '32' is not a whole number .*write it without quotes"),
        ({"n_heads": 8.5}, r"models.hybrid.n_heads: 8.5 is not a whole number \(the default: 8\)"),
        ({"channels": [64, "x"]}, r"models.hybrid: hybrid models have no setting 'channels'"),
        ({"epoch": 3}, r"models.hybrid: hybrid models have no setting 'epoch' \(did you mean 'epochs'\?\)"),
        ({"epochs": 0}, r"models.hybrid.epochs: 0 is less than the minimum of 1 \(as train.epochs\)"),
        ({"lr": "fast"}, r"models.hybrid.lr: 'fast' is not of type 'number' \(as train.lr\)"),
        ({"threads": 4}, r"models.hybrid: 'threads' is a train: setting of every model \(train.threads\)"),
    ],
)
def test_a_model_setting_its_architecture_lacks_is_refused_before_any_job(cohort, setting, message):
    config = copy.deepcopy(cohort)
    config["models"]["hybrid"].update(setting)
    with pytest.raises(ConfigError, match=message):
        cohort_config.setup(config)


def test_model_settings_of_the_defaults_types_pass(cohort):
    config = copy.deepcopy(cohort)
    config["models"]["cnn"].update({"channels": [64, 128], "dropout": 0, "seed": 3})
    config["models"]["hybrid"].update(
        {"dropout": 0.1, "norm": "rmsnorm", "n_layers": 2, "epochs": 3, "lr": 1e-4}
    )
    cohort_config.setup(config)
    bad = copy.deepcopy(cohort)
    bad["models"]["cnn"]["channels"] = [64, "128"]
    with pytest.raises(
        ConfigError, match=r"models.cnn.channels: \[64, '128'\] is not a list of whole numbers"
    ):
        cohort_config.setup(bad)


def test_a_section_given_twice_in_a_config_file_is_refused_at_its_line(cohort, tmp_path):
    text = yaml.safe_dump(cohort) + "train:\n  epochs: 2\ntrain:\n  epochs: 9\n"
    config_file = tmp_path / "cohort.yaml"
    config_file.write_text(text)
    second = text.splitlines().index("train:", text.splitlines().index("train:") + 1) + 1
    with pytest.raises(ConfigError, match=rf"cohort.yaml.*line {second}.*'train' is given twice"):
        cohort_config.setup(yaml.safe_load(text), [config_file])


def test_numbers_in_exponent_notation_are_numbers(cohort):
    """YAML 1.1 reads 1e-3 (no decimal point) as text; the README's own table writes lr 3e-4."""
    config = copy.deepcopy(cohort)
    config["train"] = {"lr": "1e-3", "epochs": "2e1"}
    config["split"] = {"block_bp": "5e5", "val_chroms": ["1e5"]}
    cohort_config.apply_schema(config)
    assert config["train"]["lr"] == 0.001 and config["train"]["epochs"] == 20
    assert config["split"]["block_bp"] == 500_000 and config["split"]["val_chroms"] == ["1e5"]


def test_the_schema_defaults_are_the_packages():
    """A setting with a default both in the schema (the workflow) and in the package (epibench on its
    own) has one value: the bootstrap count, the ingest filters, the model shapes."""
    from epibench.evaluate.block_choice import AUTO_SIZES_BP
    from epibench.evaluate.bootstrap import DEFAULT_BLOCK_BP, DEFAULT_N_BOOT
    from epibench.io.gene_models import SKIPPED_GENE_TYPES
    from epibench.io.methylation.canonical import MIN_CG_SHARE, MIN_COVERAGE

    properties = cohort_config.load_schema("config")["properties"]
    assert properties["evaluate"]["properties"]["n_boot"]["default"] == DEFAULT_N_BOOT
    # the workflow chooses its block (auto) from the command line's default up
    assert properties["evaluate"]["properties"]["bootstrap_block_bp"]["default"] == "auto"
    assert AUTO_SIZES_BP[0] == DEFAULT_BLOCK_BP
    assert properties["ingest"]["properties"]["min_coverage"]["default"] == MIN_COVERAGE
    assert properties["ingest"]["properties"]["min_cg_share"]["default"] == MIN_CG_SHARE
    skipped = properties["regions"]["properties"]["skip_gene_types"]["default"]
    assert skipped == list(SKIPPED_GENE_TYPES)
    entry = properties["models"]["additionalProperties"]
    assert not any(
        "default" in spec for spec in entry["properties"].values()
    ), "shapes live in the model classes"


def test_held_out_chromosomes_written_as_numbers_are_names(cohort):
    """``val_chroms: [2]`` (Ensembl's names, unquoted in YAML) reads as the name "2"."""
    config = copy.deepcopy(cohort) | {
        "split": {"mode": "chroms", "val_chroms": [2], "test_chroms": [19, "X"]}
    }
    cohort_config.apply_schema(config)
    assert config["split"]["val_chroms"] == ["2"] and config["split"]["test_chroms"] == ["19", "X"]
    config["split"]["val_chroms"] = [2.5]
    with pytest.raises(cohort_config.ConfigError, match="val_chroms"):
        cohort_config.apply_schema(config)


def test_the_schema_knows_every_registered_model():
    from epibench.models.factory import ARCHITECTURES

    entry = cohort_config.load_schema("config")["properties"]["models"]["additionalProperties"]
    assert sorted(entry["properties"]["arch"]["enum"]) == sorted(ARCHITECTURES)


def test_a_bad_sheet_row_is_named_by_its_line(cohort):
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace("\nb\t", "\nb c\t"))
    with pytest.raises(ConfigError, match=r"samples\.tsv, line 3: sample 'b c', column sample"):
        cohort_config.validate(cohort)


def _sheet_with_format(cohort: dict, fmt: str) -> None:
    """The cohort's sheet with a format column: ``fmt`` for sample a (line 2), auto for b."""
    folder = Path(cohort["samples"]).parent
    Path(cohort["samples"]).write_text(
        "sample\tmethylation\tformat\tH3K4me3\n"
        f"a\t{folder / 'a.bed'}\t{fmt}\t{folder / 'a.bw'}\n"
        f"b\t{folder / 'b.bed'}\tauto\t{folder / 'b.bw'}\n"
    )


@pytest.mark.parametrize(
    ("written", "meant"), [("bismark_coverage", "bismark_cov"), ("bedmethl", "bedmethyl")]
)
def test_a_misspelt_format_is_named_with_the_nearest_choice(cohort, written, meant):
    """A format none of the choices is: the message offers the nearest spelling before the long list."""
    _sheet_with_format(cohort, written)
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    message = str(error.value)
    assert "line 2: sample 'a', column format" in message
    assert f"did you mean {meant!r}? allowed:" in message


def test_a_format_named_for_the_older_methylc_says_methylc_reads_both_column_orders(cohort):
    """A Roadmap lab with an older methylC (strand and depth swapped) wrote methylc_old: offered
    'methylc (WashU)', it could not tell that methylc reads its file too."""
    _sheet_with_format(cohort, "methylc_old")
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    message = str(error.value)
    assert "did you mean 'methylc'?" in message
    assert "methylc (WashU, both column orders: older files swap strand and depth)" in message


def test_a_format_like_no_choice_gets_no_guess(cohort):
    _sheet_with_format(cohort, "zzzz")
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    assert "column format" in str(error.value) and "did you mean" not in str(error.value)


def test_a_header_without_a_required_column_names_it_and_the_nearest(cohort):
    """A header's misspelt column (a user's ``methylation_file``) is named as the header's mistake,
    with the column to rename, not as row 2 lacking a 'required property'."""
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace("sample\tmethylation\t", "sample\tmethylation_file\t", 1))
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    message = str(error.value)
    assert "the header has no column 'methylation' (required" in message
    assert "rename 'methylation_file' to 'methylation'" in message
    assert "required property" not in message and "line 2" not in message


def test_a_sheet_separated_by_spaces_says_so(cohort):
    """An editor that turned the tabs into spaces: the header reads as one column; the message says
    why, not that the marks have no column."""
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace("\t", "  "))
    with pytest.raises(
        ConfigError, match=r"line 1: the header is one column, .*separated by spaces, not tabs"
    ):
        cohort_config.validate(cohort)


def test_setup_derives_the_runs_and_the_plan(cohort):
    config = copy.deepcopy(cohort)
    config["learning_curve"] = {"model": "cnn", "fractions": [0.25, 1.0], "pretrained": "models/x"}
    config["evaluate"] = {"leave_one_sample_out": True, "ensembles": {"both": ["cnn", "hybrid"]}}
    run = cohort_config.setup(config)
    assert run.labelled == ["a", "b"] and run.to_predict == ["c"]
    assert sorted(run.curve_models) == [
        "cnn",
        "cnn_finetuned_100pct",
        "cnn_finetuned_25pct",
        "cnn_scratch_25pct",
    ]
    assert run.curve_models["cnn"] is config["models"]["cnn"], "all CpGs from scratch: the model itself"
    assert run.curve_models["cnn_finetuned_25pct"] == {
        "arch": "cnn",
        "fraction": 0.25,
        "pretrained": "models/x",
        "freeze": "none",
    }
    assert run.held_out_models == {
        "hybrid_without_a": {"arch": "hybrid", "d_model": 32, "held_out_samples": ["a"]},
        "hybrid_without_b": {"arch": "hybrid", "d_model": 32, "held_out_samples": ["b"]},
    }
    # the control: every sample, the share of the CpGs a held-out run keeps (one of two samples)
    assert run.loso_control == {"hybrid_loso_control": {"arch": "hybrid", "d_model": 32, "fraction": 0.5}}
    assert list(run.trained)[:2] == ["cnn", "hybrid"] and len(run.trained) == 8
    assert run.baselines == ["logreg_gc_cpg", "gbm_histone"] and not run.sequence_only
    assert run.base_mode == "sequence + marks"
    assert run.plan.features == {"marks", "ablation", "loso", "learning_curve", "extras", "auto_block"}
    config = copy.deepcopy(cohort)
    config["evaluate"] = {"extras": False, "ablation": False, "bootstrap_block_bp": 10_000}
    assert cohort_config.setup(config).plan.features == {"marks"}
    assert run.plan.values["ensemble"] == ["both"] and run.plan.values["to_predict"] == ["c"]


@pytest.mark.parametrize("own", [{"fraction": 0.5}, {"pretrained": "models/x"}])
def test_a_curve_model_not_trained_from_scratch_on_all_cpgs_gets_its_own_whole_scratch_run(cohort, own):
    """The curve's 100 % scratch point reuses the model only where the model is that run; a model on
    half the CpGs, or fine-tuned, is not."""
    config = copy.deepcopy(cohort)
    config["models"]["cnn"] |= own
    config["learning_curve"] = {"model": "cnn", "fractions": [0.25, 1.0]}
    runs = cohort_config.setup(config).curve_models
    assert sorted(runs) == ["cnn_scratch_100pct", "cnn_scratch_25pct"]
    assert runs["cnn_scratch_100pct"] == {"arch": "cnn", "fraction": 1.0}


def test_a_curve_of_matched_steps_passes_over_each_share_of_the_cpgs_one_over_the_share_times(cohort):
    config = copy.deepcopy(cohort)
    config["learning_curve"] = {
        "model": "cnn",
        "fractions": [0.05, 0.3, 1.0],
        "pretrained": "models/x",
        "budget": "steps",
    }
    runs = cohort_config.setup(config).curve_models
    assert runs["cnn_scratch_5pct"] == {"arch": "cnn", "fraction": 0.05, "passes": 20.0}
    assert runs["cnn_finetuned_30pct"]["passes"] == pytest.approx(10 / 3, abs=1e-6)
    assert "passes" not in runs["cnn"] and "passes" not in runs["cnn_finetuned_100pct"]
    # a model entry's own passes is one of its train settings, beside fraction
    learned, _ = model_train_settings(config["train"], runs["cnn_scratch_5pct"])
    assert learned["passes"] == 20.0 and learned["fraction"] == 0.05


def test_rows_of_one_sample_pool_its_methylation_files(cohort):
    """A sample sequenced in lanes (nf-core's convention: one row per lane, the sample's name on each):
    one sample with a tuple of files, formats and coverages; its marks given on one row or repeated."""
    sheet = Path(cohort["samples"])
    folder = sheet.parent
    for name in ("a2.cov", "a3.cov"):
        (folder / name).write_text("x\n")
    sheet.write_text(
        "sample\tmethylation\tformat\tH3K4me3\n"
        f"a\t{folder / 'a.bed'}\tbedmethyl\t{folder / 'a.bw'}\n"
        f"b\t{folder / 'b.bed'}\t\t{folder / 'b.bw'}\n"
        f"a\t{folder / 'a2.cov'}\tbismark_cov\t\n"
        f"a\t{folder / 'a3.cov'}\t\t{folder / 'a.bw'}\n"
        f"c\t\t\t{folder / 'c.bw'}\n"
    )
    run = cohort_config.setup(copy.deepcopy(cohort))
    assert run.labelled == ["a", "b"] and run.to_predict == ["c"]
    a = run.samples.loc["a"]
    assert a["methylation"] == (str(folder / "a.bed"), str(folder / "a2.cov"), str(folder / "a3.cov"))
    assert a["format"] == ("bedmethyl", "bismark_cov", "auto") and a["coverage"] == ("", "", "")
    assert a["H3K4me3"] == str(folder / "a.bw")
    assert run.samples.loc["c", "methylation"] == () and run.samples.loc["b", "format"] == ("auto",)
    assert cohort_config.calls_file_labels("a", 3) == ["a#1", "a#2", "a#3"]
    assert cohort_config.calls_file_labels("b", 1) == ["b"]


def test_a_cohort_of_hundreds_of_one_row_samples_keeps_each_row(cohort):
    """300 samples of one row each (read without a pandas selection per sample) around one pooled
    sample: sheet order, each file as a tuple of one, an empty cell empty, a note kept as written."""
    sheet = Path(cohort["samples"])
    folder = sheet.parent
    (folder / "a2.cov").write_text("x\n")
    lines = ["sample\tmethylation\tformat\tH3K4me3\tnotes"]
    for k in range(300):
        mark = folder / "a.bw" if k % 3 else ""
        lines.append(f"s{k}\t{folder / 'a.bed'}\t{'bedmethyl' if k % 2 else ''}\t{mark}\tnote {k}")
        if k == 150:
            lines += [
                f"p\t{folder / 'a.bed'}\t\t{folder / 'b.bw'}\tlane 1",
                f"p\t{folder / 'a2.cov'}\tbismark_cov\t\tlane 2",
            ]
    lines.append(f"c\t\t\t{folder / 'c.bw'}\t")
    sheet.write_text("\n".join(lines) + "\n")
    samples = cohort_config.setup(copy.deepcopy(cohort)).samples
    assert list(samples.index) == [
        *(f"s{k}" for k in range(151)),
        "p",
        *(f"s{k}" for k in range(151, 300)),
        "c",
    ]
    assert samples.loc["s7", "methylation"] == (str(folder / "a.bed"),) and samples.loc["s7", "format"] == (
        "bedmethyl",
    )
    assert samples.loc["s8", "format"] == ("auto",) and samples.loc["s8", "coverage"] == ("",)
    assert samples.loc["s3", "H3K4me3"] == "" and samples.loc["s4", "H3K4me3"] == str(folder / "a.bw")
    assert samples.loc["s299", "notes"] == "note 299" and samples.loc["s299", "sample"] == "s299"
    assert samples.loc["p", "methylation"] == (str(folder / "a.bed"), str(folder / "a2.cov"))
    assert samples.loc["p", "notes"] == "lane 1; lane 2" and samples.loc["p", "H3K4me3"] == str(
        folder / "b.bw"
    )
    assert samples.loc["c", "methylation"] == () and samples.loc["c", "format"] == ()
    assert list(samples.columns) == ["sample", "methylation", "format", "H3K4me3", "notes", "coverage"]


def test_a_column_the_workflow_does_not_read_may_differ_per_file(cohort):
    """A lane note on each of a sample's rows: kept, its values joined; a mark's two values stay an error."""
    sheet = Path(cohort["samples"])
    folder = sheet.parent
    (folder / "a2.cov").write_text("x\n")
    sheet.write_text(
        "sample\tmethylation\tH3K4me3\tnotes\n"
        f"a\t{folder / 'a.bed'}\t{folder / 'a.bw'}\tlane 1\n"
        f"a\t{folder / 'a2.cov'}\t{folder / 'a.bw'}\tlane 2\n"
        f"b\t{folder / 'b.bed'}\t{folder / 'b.bw'}\t\n"
    )
    run = cohort_config.setup(copy.deepcopy(cohort))
    assert run.samples.loc["a", "notes"] == "lane 1; lane 2" and len(run.samples.loc["a", "methylation"]) == 2


@pytest.mark.parametrize(
    "third_row, message, line",
    [
        ("a\t{a2}\t{b_bw}", r"column H3K4me3 is '.*a\.bw' on line 2 but '.*b\.bw' here", 4),
        ("a\t\t{a_bw}", r"sample 'a' is on lines \[2, 4\]: .* this one names none", 4),
        ("a\t{a_bed}\t", r"names the methylation file of line 2 again", 4),
    ],
    ids=["two values of a mark", "a row without calls", "one file twice"],
)
def test_rows_of_one_sample_that_disagree_are_named_at_their_line(cohort, third_row, message, line):
    sheet = Path(cohort["samples"])
    folder = sheet.parent
    (folder / "a2.cov").write_text("x\n")
    paths = {
        "a2": folder / "a2.cov",
        "a_bed": folder / "a.bed",
        "a_bw": folder / "a.bw",
        "b_bw": folder / "b.bw",
    }
    lines = sheet.read_text().splitlines()
    sheet.write_text("\n".join([*lines[:3], third_row.format(**paths), lines[3]]) + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        cohort_config.setup(copy.deepcopy(cohort))
    assert info.value.line == line


def test_a_cohort_without_marks_reads_the_sequence_alone(cohort):
    sheet = Path(cohort["samples"])
    sheet.write_text(
        "sample\tmethylation\n"
        + "".join(line.rsplit("\t", 1)[0] + "\n" for line in sheet.read_text().splitlines()[1:3])
    )
    config = copy.deepcopy(cohort) | {"marks": []}
    run = cohort_config.setup(config)
    assert run.sequence_only and run.baselines == ["logreg_gc_cpg", "gbm_region"]
    assert run.base_mode == "sequence"
    assert "marks" not in run.plan.features and "ablation" not in run.plan.features


def test_leave_out_by_holds_out_a_patients_samples_together(cohort):
    """A tumour and its normal held out together; a sample of no patient alone; an unknown column
    and a single group are errors."""
    folder = Path(cohort["samples"]).parent
    (folder / "d.bed").write_text("x\n")
    Path(cohort["samples"]).write_text(
        "sample\tmethylation\tH3K4me3\tpatient\n"
        f"a\t{folder / 'a.bed'}\t{folder / 'a.bw'}\tP 1\n"
        f"b\t{folder / 'b.bed'}\t{folder / 'b.bw'}\tP 1\n"
        f"d\t{folder / 'd.bed'}\t{folder / 'a.bw'}\t\n"
        f"c\t\t{folder / 'c.bw'}\tP 1\n"
    )
    config = copy.deepcopy(cohort)
    config["evaluate"] = {"leave_one_sample_out": True, "leave_out_by": "patient"}
    held_out = cohort_config.setup(config).held_out_models
    assert {name: entry["held_out_samples"] for name, entry in held_out.items()} == {
        "hybrid_without_P_1": ["a", "b"],
        "hybrid_without_d": ["d"],
    }
    config = copy.deepcopy(cohort)
    config["evaluate"] = {"leave_one_sample_out": True, "leave_out_by": "donor"}
    with pytest.raises(ConfigError, match="leave_out_by 'donor' is no column"):
        cohort_config.setup(config)
    lines = Path(cohort["samples"]).read_text().splitlines()
    Path(cohort["samples"]).write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    config = copy.deepcopy(cohort)
    config["evaluate"] = {"leave_one_sample_out": True, "leave_out_by": "patient"}
    with pytest.raises(ConfigError, match="two or more groups of patient"):
        cohort_config.setup(config)


def test_leave_one_sample_out_needs_two_samples(cohort):
    sheet = Path(cohort["samples"])
    sheet.write_text("\n".join(sheet.read_text().splitlines()[:2]) + "\n")
    config = copy.deepcopy(cohort)
    config["evaluate"] = {"leave_one_sample_out": True}
    with pytest.raises(ConfigError, match="two or more samples"):
        cohort_config.setup(config)


def test_a_sheet_saved_by_a_spreadsheet_reads_like_the_plain_one(cohort, tmp_path):
    """Byte-order mark, CRLF line ends and spaces around cells, as spreadsheets write them."""
    plain = Path(cohort["samples"])
    lines = plain.read_text().splitlines()
    spread = tmp_path / "spread.tsv"
    spread.write_bytes(
        b"\xef\xbb\xbf" + "".join(" \t ".join(line.split("\t")) + " \r\n" for line in lines).encode()
    )
    want = cohort_config.read_sample_sheet(plain)
    got = cohort_config.read_sample_sheet(spread)
    assert list(got.columns) == list(want.columns) == ["sample", "methylation", "H3K4me3"]
    assert got.equals(want)
    assert cohort_config.validate({**cohort, "samples": str(spread)}).equals(cohort_config.validate(cohort))


def test_a_sheet_of_lines_ended_by_cr_alone_reads_like_the_plain_one(cohort, tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends its lines with CR alone (classic Mac OS)."""
    plain = Path(cohort["samples"])
    mac = tmp_path / "mac.csv"
    mac.write_bytes(
        "".join(",".join(line.split("\t")) + "\r" for line in plain.read_text().splitlines()).encode()
    )
    assert b"\n" not in mac.read_bytes()
    assert cohort_config.read_sample_sheet(mac).equals(cohort_config.read_sample_sheet(plain))


def test_a_sheet_exported_as_unicode_text_reads_like_the_plain_one(cohort, tmp_path):
    """Excel's "Unicode Text": tab-separated UTF-16 (little-endian, byte-order mark), CRLF line ends."""
    plain = Path(cohort["samples"])
    exported = tmp_path / "unicode.txt"
    exported.write_bytes(plain.read_text().replace("\n", "\r\n").encode("utf-16"))
    assert exported.read_bytes()[:2] == b"\xff\xfe"
    want = cohort_config.read_sample_sheet(plain)
    assert cohort_config.read_sample_sheet(exported).equals(want)
    assert cohort_config.validate({**cohort, "samples": str(exported)}).equals(cohort_config.validate(cohort))


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_sheet_saved_as_csv_reads_like_the_plain_one(separator, cohort, tmp_path):
    """Comma- (or, in decimal-comma locales, semicolon-) separated as a spreadsheet saves it, a path
    with the separator in it quoted: before, one column whose name was the whole header."""
    plain = Path(cohort["samples"])
    odd = tmp_path / f"b{separator}1.bw"  # a file name holding the separator
    odd.write_text("x\n")
    lines = plain.read_text().replace(str(tmp_path / "b.bw"), str(odd)).splitlines()
    quoted = [separator.join(f'"{c}"' if separator in c else c for c in line.split("\t")) for line in lines]
    sheet = tmp_path / "samples.csv"
    sheet.write_text("".join(line + "\r\n" for line in quoted))
    got = cohort_config.validate({**cohort, "samples": str(sheet)})
    assert got.loc["b", "H3K4me3"] == str(odd)
    want = cohort_config.validate(cohort).copy()
    want.loc["b", "H3K4me3"] = str(odd)
    assert got.equals(want)


def test_a_hash_inside_a_cell_is_kept_and_a_hash_line_is_a_comment(cohort, tmp_path):
    """pandas' comment="#" cut every line at its first #: a path became its directory, sample b#1
    became b without a word (now the sample-name rule names it)."""
    odd = tmp_path / "run#2" / "b.bw"
    odd.parent.mkdir()
    odd.write_text("x\n")
    sheet = Path(cohort["samples"])
    lines = sheet.read_text().splitlines()
    lines[2] = lines[2].replace(str(tmp_path / "b.bw"), str(odd))
    sheet.write_text("\n".join(["# sheet of run 2", *lines]) + "\n")
    assert cohort_config.validate(cohort).loc["b", "H3K4me3"] == str(odd)
    lines[2] = lines[2].replace("b\t", "b#1\t", 1)
    sheet.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="sample 'b#1', column sample"):
        cohort_config.validate(cohort)


def test_a_bad_row_is_named_at_its_line_in_the_file_below_comments_and_blank_lines(cohort):
    """config/samples.tsv starts with two comment lines: a bad row was named two lines too early."""
    sheet = Path(cohort["samples"])
    header, row_a, row_b, row_c = sheet.read_text().splitlines()
    sheet.write_text(
        "\n".join(
            ["# my cohort", "# two comment lines", header, row_a, "", row_b.replace("b", "b!", 1), row_c]
        )
    )
    with pytest.raises(ConfigError, match=r"samples.tsv, line 6: sample 'b!', column sample"):
        cohort_config.validate(cohort)


@pytest.mark.parametrize("separator", ["\t", ","])
def test_a_row_cut_short_is_named_in_either_separator(separator, cohort, tmp_path):
    lines = Path(cohort["samples"]).read_text().splitlines()
    sheet = tmp_path / "samples.txt"
    cut = lines[2].split("\t")[:-1]  # sample b loses its mark cell and that cell's separator
    sheet.write_text(
        "\n".join(separator.join(line.split("\t")) for line in [*lines[:2], "\t".join(cut), lines[3]])
    )
    name = {"\t": "tab", ",": "comma"}[separator]
    with pytest.raises(
        ConfigError, match=rf"samples.txt, line 3: a row with 2 {name}-separated cells, the header has 3"
    ):
        cohort_config.validate({**cohort, "samples": str(sheet)})


def _with_purity(cohort: dict, values: tuple[str, str, str]) -> dict:
    """The cohort with a covariate column ``purity`` holding ``values`` (samples a, b, c)."""
    sheet = Path(cohort["samples"])
    lines = sheet.read_text().splitlines()
    sheet.write_text(
        "\n".join([lines[0] + "\tpurity", *(f"{line}\t{v}" for line, v in zip(lines[1:], values))]) + "\n"
    )
    return {**cohort, "covariates": ["purity"]}


@pytest.mark.parametrize("values", [("0,75", "0,5", ""), ("1", "0,9", "0"), ("1,000", "2,500", "900")])
def test_covariate_numbers_written_with_a_comma_are_refused(cohort, values):
    """A spreadsheet of a decimal-comma locale writes 0,75: read as text, each value a category."""
    with pytest.raises(
        ConfigError, match=r"covariate purity: '\d+,\d+' \(sample [ab]\) is a number written"
    ) as info:
        cohort_config.validate(_with_purity(cohort, values))
    first = next(k for k, v in enumerate(values) if "," in v)
    assert info.value.line == first + 2, "named at the row of the first such value (header: line 1)"


@pytest.mark.parametrize("values", [("0.75", "0.5", ""), ("tumour, grade 2", "normal", "tumour, grade 3")])
def test_covariates_with_points_or_words_pass(cohort, values):
    sheet = cohort_config.validate(_with_purity(cohort, values))
    assert sheet["purity"].tolist() == list(values)


def test_enhancer_states_without_an_enhancer_bed_are_refused(cohort):
    """States named for a segmentation that is not given would be ignored without a word."""
    config = copy.deepcopy(cohort) | {"regions": {"enhancer_states": ["E7"]}}
    config["reference"] = {k: v for k, v in config["reference"].items() if k != "enhancers"}
    with pytest.raises(ConfigError, match=r"enhancer_states \['E7'\] .*reference.enhancers gives none"):
        cohort_config.validate(config)


def test_a_sample_name_with_spaces_is_refused_with_how_to_write_it(cohort):
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace("\nb\t", "\nupper lobe of left lung\t"))
    with pytest.raises(ConfigError, match=r"'upper lobe of left lung'.*write 'upper_lobe_of_left_lung'"):
        cohort_config.setup(copy.deepcopy(cohort))


def test_a_mark_name_with_a_slash_is_refused(cohort):
    """A mark's name becomes part of file names (marks/<sample>/<mark>.bw, the ablation's rows)."""
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace("H3K4me3", "H3K4me3/rep1", 1))
    with pytest.raises(ConfigError, match="H3K4me3/rep1"):
        cohort_config.setup(copy.deepcopy(cohort) | {"marks": ["H3K4me3/rep1"]})


def test_the_demos_annotation_beside_a_cohorts_own_reference_is_refused(cohort, monkeypatch):
    """A copy of config/config.yaml that kept the demo's enhancers and truth for another genome."""
    monkeypatch.chdir(REPO)
    config = copy.deepcopy(cohort)
    config["reference"]["enhancers"] = "resources/demo/enhancers.bed"
    config["truth"] = str(REPO / "resources" / "demo" / "truth.tsv.gz")
    config["variants"] = {"vcf": "resources/demo/variants.vcf.gz"}  # a copy of demo_full.yaml
    with pytest.raises(ConfigError) as error:
        cohort_config.setup(config)
    message = str(error.value)
    assert "reference.enhancers: resources/demo/enhancers.bed" in message and "truth: " in message
    assert "variants.vcf: resources/demo/variants.vcf.gz" in message
    assert "reference.gtf" not in message and "Delete those keys" in message
    config["reference"]["fasta"] = "resources/demo/genome.fa"  # the demo's genome: its own files fit
    cohort_config.setup(config)


def test_a_url_in_the_sheet_or_config_is_named_with_what_to_do(cohort):
    url = "https://www.encodeproject.org/files/ENCFF000AAA/@@download/ENCFF000AAA.bigWig"
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace(str(Path(cohort["samples"]).parent / "a.bw"), url))
    with pytest.raises(
        ConfigError, match=r"column H3K4me3: file .*ENCFF000AAA.*\(a URL: download the file first"
    ):
        cohort_config.setup(copy.deepcopy(cohort))
    config = copy.deepcopy(cohort)
    config["reference"]["fasta"] = "https://hgdownload.soe.ucsc.edu/goldenPath/hg38/bigZips/hg38.2bit"
    with pytest.raises(ConfigError, match="reference.fasta: https://.*hg38.2bit \\(a URL: download"):
        cohort_config.setup(config)


def test_a_path_relative_to_the_sheet_or_with_a_tilde_is_named_with_what_to_write(
    cohort, tmp_path, monkeypatch
):
    """Sheet paths are read from the working directory (as Snakemake does); a path that names a file
    only beside the sheet, or only once ~ is expanded, gets the path to write instead."""
    folder = tmp_path / "cohorts" / "liver"
    folder.mkdir(parents=True)
    (folder / "liver1.bed").write_text("x\n")
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace(str(sheet.parent / "a.bed"), "liver1.bed"))
    moved = folder / "samples.tsv"
    sheet.rename(moved)
    monkeypatch.chdir(tmp_path)
    config = copy.deepcopy(cohort) | {"samples": "cohorts/liver/samples.tsv"}
    with pytest.raises(ConfigError, match=r"column methylation: file 'liver1.bed' does not exist") as info:
        cohort_config.setup(config)
    assert (
        "relative paths are read from there, not from the sheet's folder: write 'cohorts/liver/liver1.bed'"
        in str(info.value)
    )
    monkeypatch.setenv("HOME", str(folder))
    moved.write_text(moved.read_text().replace("\tliver1.bed\t", "\t~/liver1.bed\t"))
    with pytest.raises(
        ConfigError, match=r"file '~/liver1.bed' does not exist .*no shell expands ~ here: write '"
    ):
        cohort_config.setup(config)


@pytest.mark.parametrize(
    ("on_disk", "hint"),
    [
        ("a.bedGraph", "its folder has 'a.bedGraph': file names are case-sensitive"),
        ("a.bedgraph.gz", "its folder has 'a.bedgraph.gz': meant that?"),
        ("unrelated.txt", None),
    ],
)
def test_a_missing_file_is_named_by_its_sheet_line_with_a_file_named_alike(cohort, on_disk, hint):
    """A path typo: the message names the sheet's line, and a file of the same folder named alike
    (another case, a near spelling); none where nothing is alike."""
    folder = Path(cohort["samples"]).parent
    (folder / on_disk).write_text("x\n")
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace(str(folder / "b.bed"), str(folder / "a.bedgraph")))
    with pytest.raises(ConfigError) as info:
        cohort_config.validate(cohort)
    message = str(info.value)
    assert message.startswith(f"{sheet}, line 3: sample b, column methylation: file ")
    if hint:
        assert hint in message
    else:
        assert "its folder has" not in message


def test_a_config_run_from_another_folder_says_where_its_paths_lie(cohort, tmp_path, monkeypatch):
    """snakemake -s repo/Snakefile --configfile repo/config/c.yaml run from outside repo: the config's
    relative paths are read from the working directory; the message names the folder they are in."""
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    Path(cohort["samples"]).rename(repo / "config" / "c.samples.tsv")
    config_file = repo / "config" / "c.yaml"
    config = copy.deepcopy(cohort) | {"samples": "config/c.samples.tsv"}
    config_file.write_text(yaml.safe_dump(config))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError) as info:
        cohort_config.setup(config, [config_file])
    message = str(info.value)
    assert message.startswith(str(config_file)) and "samples: config/c.samples.tsv" in message
    assert f"it is in {str(repo)!r}: run snakemake there" in message


def test_a_mark_a_sample_lacks_is_an_empty_cell(cohort):
    """Cohorts with incomplete mark panels: an empty cell is that sample's missing mark; a sample to
    predict needs one mark at least, and a mark no sample has is left out of 'marks'."""
    sheet = Path(cohort["samples"])
    text = sheet.read_text()
    folder = sheet.parent
    sheet.write_text(
        "sample\tmethylation\tH3K4me3\tH3K27ac\n"
        f"a\t{folder / 'a.bed'}\t{folder / 'a.bw'}\t\n"
        f"b\t{folder / 'b.bed'}\t\t{folder / 'b.bw'}\n"
        f"c\t\t{folder / 'c.bw'}\t\n"
    )
    run = cohort_config.setup(copy.deepcopy(cohort) | {"marks": ["H3K4me3", "H3K27ac"]})
    assert run.samples.loc["b", "H3K4me3"] == "" and run.to_predict == ["c"]
    sheet.write_text(text.replace(str(folder / "c.bw"), ""))
    with pytest.raises(ConfigError, match="sample c has neither methylation calls nor any mark"):
        cohort_config.setup(copy.deepcopy(cohort))
    sheet.write_text(
        "sample\tmethylation\tH3K4me3\tH3K27ac\n" f"a\t{folder / 'a.bed'}\t{folder / 'a.bw'}\t\n"
    )
    with pytest.raises(ConfigError, match=r"marks \['H3K27ac'\] have no file for any sample"):
        cohort_config.setup(copy.deepcopy(cohort) | {"marks": ["H3K4me3", "H3K27ac"]})


def test_a_row_cut_short_is_not_read_as_missing_marks(cohort):
    sheet = Path(cohort["samples"])
    lines = sheet.read_text().splitlines()
    sheet.write_text("\n".join([lines[0], lines[1].rsplit("\t", 1)[0], *lines[2:]]) + "\n")
    with pytest.raises(ConfigError, match="line 2: a row with 2 tab-separated cells, the header has 3"):
        cohort_config.setup(copy.deepcopy(cohort))
    sheet.write_text("\n".join([*lines[:3], lines[3].rsplit("\t", 1)[0] + "\t"]))  # no line end
    with pytest.raises(ConfigError, match="line 4: the sheet ends inside its last row"):
        cohort_config.setup(copy.deepcopy(cohort))


def test_a_format_is_named_in_any_case(cohort):
    sheet = Path(cohort["samples"])
    lines = sheet.read_text().splitlines()
    rows = [lines[0] + "\tformat", lines[1] + "\tbedMethyl", lines[2] + "\t CGmap ", lines[3] + "\t"]
    sheet.write_text("\n".join(rows) + "\n")
    assert cohort_config.validate(cohort)["format"].tolist() == [("bedmethyl",), ("cgmap",), ()]
    sheet.write_text(sheet.read_text().replace("CGmap", "CG-map"))
    with pytest.raises(
        ConfigError, match=r"line 3: sample 'b', column format: 'cg-map' is none of the choices"
    ):
        cohort_config.validate(cohort)


def test_an_unknown_format_lists_the_formats_once_with_what_each_reads(cohort):
    sheet = Path(cohort["samples"])
    lines = sheet.read_text().splitlines()
    rows = [lines[0] + "\tformat", lines[1] + "\tcx_report", *(line + "\t" for line in lines[2:])]
    sheet.write_text("\n".join(rows) + "\n")
    with pytest.raises(ConfigError) as info:
        cohort_config.validate(cohort)
    message = str(info.value)
    assert "'cx_report' is none of the choices" in message
    assert "bismark_cpg_report (coverage2cytosine CpG_report or CX_report)" in message
    assert message.count("bedmethyl_bigbed") == 1


def test_the_sample_sheet_offers_every_methylation_format_the_pipeline_reads():
    from epibench.io.methylation.ingest import READERS

    offered = cohort_config.load_schema("samples")["properties"]["format"]["enum"]
    assert sorted(offered) == sorted(["auto", *READERS])


def test_a_sheet_saved_as_windows_1252_text_reads_its_accents(cohort, tmp_path, caplog):
    """Excel's "Text (Tab delimited)" on Windows: Windows-1252, not UTF-8. A path with an accent (its
    file named in UTF-8 on disk, as the filesystem does) and an accented category read as written."""
    accented = tmp_path / "échantillon_b.bw"
    accented.write_text("x\n")
    lines = Path(cohort["samples"]).read_text().splitlines()
    lines[2] = lines[2].replace(str(tmp_path / "b.bw"), str(accented))
    lines = [
        lines[0] + "\tcondition",
        *(f"{line}\t{c}" for line, c in zip(lines[1:], ("tumeur", "bénin", "tumeur"))),
    ]
    sheet = tmp_path / "windows.txt"
    sheet.write_bytes("".join(line + "\r\n" for line in lines).encode("cp1252"))
    with caplog.at_level("WARNING"):
        got = cohort_config.validate({**cohort, "samples": str(sheet), "covariates": ["condition"]})
    assert got.loc["b", "H3K4me3"] == str(accented) and got.loc["b", "condition"] == "bénin"
    assert "read as Windows-1252" in caplog.text and "byte 0xe9" in caplog.text


def test_a_sheet_neither_utf8_nor_windows_1252_is_refused(cohort):
    sheet = Path(cohort["samples"])
    sheet.write_bytes(sheet.read_bytes().replace(b"\nb\t", b"\nb\x81\t"))
    with pytest.raises(ConfigError, match="neither UTF-8, Windows-1252 nor UTF-16"):
        cohort_config.validate(cohort)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_workbook_named_as_the_sheet_is_refused_with_how_to_save_it(cohort, tmp_path, suffix):
    """A workbook is no text: .xlsx (and .ods) is a zip of XML parts, .xls an OLE2 compound file
    (its signature D0 CF 11 E0 A1 B1 1A E1, from [MS-CFB] 2.2)."""
    sheet = tmp_path / f"samples{suffix}"
    if suffix == ".xlsx":
        with zipfile.ZipFile(sheet, "w") as workbook:
            workbook.writestr("[Content_Types].xml", "<Types/>")
            workbook.writestr("xl/worksheets/sheet1.xml", Path(cohort["samples"]).read_text())
    else:
        sheet.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    with pytest.raises(ConfigError, match="spreadsheet workbook.*Tab delimited") as info:
        cohort_config.validate({**cohort, "samples": str(sheet)})
    assert str(sheet) in str(info.value)


def test_a_spreadsheets_empty_rows_and_columns_are_dropped(cohort, tmp_path):
    """A tab after every cell, rows of tabs only (formatted but empty): read as the plain sheet."""
    lines = Path(cohort["samples"]).read_text().splitlines()
    padded = [line.replace("\t", "\t\t", 1) + "\t\t" for line in lines]  # an empty column too
    padded.insert(3, "\t\t\t\t")
    sheet = tmp_path / "padded.tsv"
    sheet.write_text("".join(line + "\n" for line in [*padded, "\t\t\t\t\t"]))
    got = cohort_config.read_sample_sheet(sheet)
    want = cohort_config.read_sample_sheet(cohort["samples"])
    assert list(got.columns) == list(want.columns) and got.values.tolist() == want.values.tolist()
    assert got.index.tolist() == [2, 3, 5], "the rows' lines in the file"
    sheet.write_text("".join(line + "\n" for line in [lines[0] + "\t", *lines[1:]]))  # the header's alone
    assert cohort_config.read_sample_sheet(sheet).equals(want)


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (
            lambda lines: [
                lines[0].replace("\t", "\t\t", 1),
                lines[1].replace("\t", "\tx\t", 1),
                *(line.replace("\t", "\t\t", 1) for line in lines[2:]),
            ],
            "column 2 holds values but has no name",
            1,
        ),
        (
            lambda lines: [lines[0] + "\tH3K4me3", *(line + "\t" for line in lines[1:])],
            r"names columns \['H3K4me3'\] twice",
            1,
        ),
        (
            lambda lines: [*lines[:2], lines[2] + "\textra", lines[3]],
            "a row with 4 tab-separated cells, the header has 3",
            3,
        ),
        (
            lambda lines: [*lines[:2], lines[2].replace("\t/", '\t"/', 1), lines[3]],
            "a quoted cell runs from this line to line 4",
            3,
        ),
    ],
    ids=["nameless column", "a name twice", "a cell too many", "a quote not closed"],
)
def test_a_sheet_a_spreadsheet_cannot_make_sense_of_is_named_at_its_line(cohort, change, message, line):
    sheet = Path(cohort["samples"])
    sheet.write_text("\n".join(change(sheet.read_text().splitlines())) + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        cohort_config.validate(cohort)
    assert info.value.line == line


def test_a_mark_spelled_otherwise_in_the_sheet_is_named_with_the_column_it_may_be(cohort):
    """Which name is the sheet's and which the config's, and only the columns the sheet writes (no
    coverage column the check adds)."""
    with pytest.raises(ConfigError) as info:
        cohort_config.validate({**cohort, "marks": ["h3k4me3"]})
    message = str(info.value)
    assert "['h3k4me3'] have no column" in message and "case included" in message
    assert (
        "did you mean the sheet's column 'H3K4me3' for config's 'h3k4me3'? Rename one of the two" in message
    )
    assert "coverage" not in message


@pytest.mark.parametrize(
    ("target", "of_another"),
    [
        ("results/tiny/models/cnn/model.safetensors", False),
        ("results/tiny/report.html", False),
        ("results/liver/evaluation/leaderboard.tsv", True),
        ("results/tiny2/report.html", True),
        ("results/tin/report.html", True),
    ],
)
def test_only_another_cohorts_targets_are_taken_by_the_other_cohort_rule(target, of_another):
    """The constraint as Snakemake places it, inside the pattern of the rule's whole output path."""
    import re

    tiny = {"cohort": "tiny", "models": {}, "learning_curve": {"model": "", "pretrained": ""}}
    path = re.compile(rf"results/(?P<other>{cohort_config.other_cohort_pattern(tiny)})/(?P<path>.+)$")
    assert (path.match(target) is not None) == of_another


def test_a_misspelt_cohort_in_a_target_is_offered_the_configs_own(tmp_path, monkeypatch):
    """`snakemake results/trail/report/index.html` with the config of cohort 'trial': a typo, not another
    cohort, is the likely cause, so the message names the target it probably meant (found in a trial);
    not where config/trial2.yaml exists: trial2 is a cohort of its own."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "trial2.yaml").write_text("cohort: trial2\n")
    trial = {"cohort": "trial", "models": {}, "learning_curve": {"pretrained": "", "model": ""}}
    assert "did you mean" not in cohort_config.other_cohort_target("results/trial2/report.html", trial)
    said = cohort_config.other_cohort_target("results/trail/report/index.html", trial, ["config/trial.yaml"])
    assert "did you mean results/trial/report/index.html?" in said
    assert "--configfile config/trail.yaml" in said  # another cohort's config, should 'trail' be one
    far = cohort_config.other_cohort_target("results/liver/report/index.html", trial, ["config/trial.yaml"])
    assert "did you mean" not in far


@pytest.mark.parametrize(
    "marks, covariates, tads, mode",
    [
        ([], ["condition"], None, "sequence + covariates"),  # a nanopore trial's tumour/normal cohort
        (["H3K4me3"], [], "tads.bed", "sequence + marks + 3D genome"),
        (["H3K4me3"], ["age"], None, "sequence + marks + covariates"),
    ],
)
def test_the_leaderboard_mode_names_what_the_models_read_beside_the_sequence(marks, covariates, tads, mode):
    config = {"marks": marks, "covariates": covariates, "reference": {"tads": tads, "loops": None}}
    assert cohort_config.base_mode(config) == mode


def test_covariate_cells_left_empty_or_spelt_two_ways_are_warned_of(cohort, caplog):
    """An empty cell is a legal unknown, but a sample left out of every stratum of by_covariate.tsv
    without a word (and 'Liver' beside 'liver', two levels) is likely a slip of the sheet."""
    config = _with_purity(cohort, ("liver", "", "Liver"))
    config["covariates"] = ["purity"]
    with caplog.at_level("WARNING", logger="epibench.config"):
        cohort_config.validate(config)
    text = caplog.text
    assert "covariate purity is empty for 1 of 3 samples (b)" in text
    assert "in no stratum of evaluation/by_covariate.tsv" in text
    assert "differ only in case or spaces" in text and "'Liver' vs 'liver'" in text


def test_a_cluster_jobs_setup_holds_back_the_warnings_the_runs_start_gave(cohort, caplog):
    """Each SLURM job's Snakemake reads the config again: warn=False keeps its log free of the
    warnings the run's start printed, and leaves the package's logging as it was."""
    config = _with_purity(cohort, ("liver", "", "Liver"))
    config["covariates"] = ["purity"]
    with caplog.at_level("WARNING"):
        cohort_config.setup(copy.deepcopy(config), warn=False)
        assert "covariate purity" not in caplog.text
        cohort_config.setup(copy.deepcopy(config))
        assert "covariate purity is empty for 1 of 3 samples (b)" in caplog.text


def test_covariate_cells_all_filled_alike_warn_of_nothing(cohort, caplog):
    with caplog.at_level("WARNING", logger="epibench.config"):
        cohort_config.validate(_with_purity(cohort, ("0.75", "0.5", "0.9")))
    assert "covariate" not in caplog.text


@pytest.mark.parametrize("key", ["gff3", "gff", "annotation"])
def test_a_gff3_given_under_its_own_key_is_pointed_to_reference_gtf(cohort, tmp_path, key):
    """An NCBI annotation comes as GCF_*_genomic.gff: 'gtf' reads it, but a user with a GFF3 writes
    gff3: and must learn that the gtf key takes it."""
    config_file = tmp_path / "cohort.yaml"
    cohort["reference"][key] = cohort["reference"].pop("gtf")
    config_file.write_text(yaml.safe_dump(cohort))
    with pytest.raises(ConfigError) as error:
        cohort_config.apply_schema(cohort, [config_file])
    assert f"unknown key(s) {key} in reference" in str(error.value)
    assert f"{key}: give the gene models as reference.gtf, whatever their format (GTF, GFF3" in str(
        error.value
    )


def test_a_misspelt_nested_key_is_offered_the_nearest(cohort, tmp_path):
    config_file = tmp_path / "cohort.yaml"
    cohort["reference"]["cpg_island"] = cohort["reference"]["gtf"]
    config_file.write_text(yaml.safe_dump(cohort))
    with pytest.raises(ConfigError, match=r"cpg_island: did you mean cpg_islands\?"):
        cohort_config.apply_schema(cohort, [config_file])


def test_a_list_key_left_empty_in_the_yaml_reads_as_an_empty_list(cohort, tmp_path):
    """`marks:` with nothing after it (YAML's null): a cohort without marks, as `marks: []`; a key
    that is no list keeps its null refused."""
    config_file = tmp_path / "cohort.yaml"
    text = yaml.safe_dump({k: v for k, v in cohort.items() if k != "marks"}) + "marks:\ncovariates:\n"
    config_file.write_text(text)
    config = yaml.safe_load(config_file.read_text())
    assert config["marks"] is None
    cohort_config.apply_schema(config, [config_file])
    assert config["marks"] == [] and config["covariates"] == []
    with pytest.raises(ConfigError, match="cohort"):
        cohort_config.apply_schema({**config, "cohort": None}, [config_file])


def _with_mark_files(cohort: dict, tmp_path, files: tuple[str, str]) -> dict:
    """``cohort`` with marks H3K4me3 and H3K27ac, sample a's tracks named ``files`` in that order."""
    for name in files:
        (tmp_path / name).write_text("x\n")
    Path(cohort["samples"]).write_text(
        "sample\tmethylation\tH3K4me3\tH3K27ac\n"
        f"a\t{tmp_path / 'a.bed'}\t{tmp_path / files[0]}\t{tmp_path / files[1]}\n"
        f"b\t{tmp_path / 'b.bed'}\t{tmp_path / 'b.bw'}\t{tmp_path / 'c.bw'}\n"
    )
    return {**cohort, "marks": ["H3K4me3", "H3K27ac"]}


def test_a_mark_file_named_for_another_mark_is_warned_of_at_its_line(cohort, tmp_path, caplog):
    """A Roadmap lab's sheet whose H3K4me3 and H3K27ac cells were swapped trained on the wrong
    channels without a word: the files' own names said which mark each was."""
    files = ("E004-H3K27ac.pval.signal.bigwig", "E004-H3K4me3.fc.signal.bigwig")
    with caplog.at_level("WARNING", logger="epibench.sheet_marks"):
        cohort_config.validate(_with_mark_files(cohort, tmp_path, files))
    text = caplog.text
    assert "line 2: sample a, column H3K4me3 holds E004-H3K27ac.pval.signal.bigwig" in text
    assert "whose name says H3K27ac" in text and "column H3K27ac holds E004-H3K4me3" in text


@pytest.mark.parametrize(
    "files",
    [
        ("E004-H3K4me3.fc.signal.bigwig", "E004-H3K27ac.pval.signal.bigwig"),
        ("ENCFF001AAA.bigWig", "ENCFF002BBB.bigWig"),
        ("E004-H3K4me3_and_H3K27ac.bw", "h3k27ac.bw"),
    ],
)
def test_mark_files_named_for_their_own_column_or_for_no_mark_warn_of_nothing(
    cohort, tmp_path, caplog, files
):
    with caplog.at_level("WARNING", logger="epibench.sheet_marks"):
        cohort_config.validate(_with_mark_files(cohort, tmp_path, files))
    assert "whose name says" not in caplog.text


def test_a_mark_of_fold_change_for_some_samples_and_p_values_for_others_is_warned_of(
    cohort, tmp_path, caplog
):
    """Roadmap gives some epigenomes' marks only as -log10 p-value tracks: a lab filling its sheet with
    what it had trained on fold change beside p-values for one mark without a word."""
    config = _with_mark_files(
        cohort, tmp_path, ("E003-H3K4me3.fc.signal.bigwig", "E003-H3K27ac.pval.signal.bw")
    )
    Path(config["samples"]).write_text(
        Path(config["samples"])
        .read_text()
        .replace(str(tmp_path / "c.bw"), str(tmp_path / "E004-H3K27ac.fc.bw"))
    )
    (tmp_path / "E004-H3K27ac.fc.bw").write_text("x\n")
    with caplog.at_level("WARNING", logger="epibench.sheet_marks"):
        cohort_config.validate(config)
    text = caplog.text
    assert "mark H3K27ac mixes kinds of signal across samples" in text
    assert (
        "-log10 p-value as E003-H3K27ac.pval.signal.bw (line 2), fold change as E004-H3K27ac.fc.bw (line 3)"
        in text
    )
    assert "mark H3K4me3 mixes" not in text


def test_an_unknown_variant_sample_names_the_config_the_sheets_samples_and_the_likely_one(cohort, tmp_path):
    """A sample name misspelt in variants.samples: the message gives the config file, the sheet's
    samples and the near name, as for a covariate column."""
    (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n")
    config_file = tmp_path / "cohort.yaml"
    cohort["variants"] = {"vcf": str(tmp_path / "v.vcf"), "samples": ["bb"]}
    with pytest.raises(ConfigError) as error:
        cohort_config.setup(cohort, [config_file])
    message = str(error.value)
    assert message.startswith(f"{config_file}: variants.samples ['bb'] are not in the sample sheet")
    assert "(its samples: a, b, c): did you mean 'b' for 'bb'?" in message


def test_a_model_name_not_in_models_is_answered_with_the_models_and_the_likely_one(cohort):
    """An ensemble member misspelt (hybrid_seed2 for hybrid_seed1): the message lists the models."""
    cohort["models"]["hybrid_seed1"] = {"arch": "hybrid", "d_model": 32, "seed": 1}
    cohort["evaluate"] = {"ensembles": {"x2": ["hybrid", "hybrid_seed2"]}}
    with pytest.raises(ConfigError) as error:
        cohort_config.setup(cohort)
    assert str(error.value) == (
        "evaluate.ensembles.x2: ['hybrid_seed2'] is not a model in 'models' (its models: cnn, hybrid, "
        "hybrid_seed1): did you mean 'hybrid_seed1' for 'hybrid_seed2'?"
    )
    cohort["evaluate"] = {"ensembles": {}}
    cohort["learning_curve"] = {"model": "cnnn"}
    with pytest.raises(ConfigError, match=r"^learning_curve.model 'cnnn' is not a model in 'models' \(its"):
        cohort_config.setup(cohort)
    # from the workflow, which knows the config file: named at it, not at the workflow line that loads it
    with pytest.raises(ConfigError, match=r"^config/liver.yaml: learning_curve.model 'cnnn' is not a model"):
        cohort_config.setup(cohort, ["config/liver.yaml"])


def test_na_for_a_sample_without_methylation_calls_says_to_leave_the_cell_empty(cohort, tmp_path):
    """R's write.table writes NA in an empty cell: the sample to predict, c, with NA for its calls
    and its format is named at its line, with what the empty cell means."""
    sheet = Path(cohort["samples"])
    sheet.write_text(
        "sample\tmethylation\tformat\tH3K4me3\n"
        f"a\t{tmp_path / 'a.bed'}\tbedmethyl\t{tmp_path / 'a.bw'}\n"
        f"b\t{tmp_path / 'b.bed'}\tbedmethyl\t{tmp_path / 'b.bw'}\n"
        f"c\tNA\tNA\t{tmp_path / 'c.bw'}\n"
    )
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    assert str(error.value) == (
        f"{sheet}, line 4: sample 'c', column methylation: 'NA' is read as it is written, not as none; for "
        "none, leave the cell empty (a sample without methylation calls is predicted from its marks)"
    )


def test_na_in_a_numeric_covariate_is_refused_as_it_would_make_the_column_categories(cohort, tmp_path):
    """age 54, 61, NA: with NA read as a value the column is no longer numeric and each age would be
    a category of its own; the message names the cell and says to leave it empty."""
    sheet = Path(cohort["samples"])
    rows = sheet.read_text().splitlines()
    sheet.write_text(
        "\n".join([rows[0] + "\tage", rows[1] + "\t54", rows[2] + "\t61", rows[3] + "\tNA"]) + "\n"
    )
    cohort["covariates"] = ["age"]
    with pytest.raises(ConfigError) as error:
        cohort_config.validate(cohort)
    assert str(error.value).startswith(
        f"{sheet}, line 4: covariate age: 'NA' (sample c) is no number, so the column would read as "
        "categories, one per value: for an unknown value leave the cell empty"
    )


def test_another_cohorts_pretrained_model_is_read_where_it_is_and_named_by_its_key_where_not(
    cohort, tmp_path, monkeypatch
):
    """A model of this cohort that starts from another cohort's (pretrained: results/<other>/models/cnn,
    the schema's own example) reads two of its files. Trained: rule other_cohort, which stops at a
    target of another cohort, must not claim them (Snakemake planned to remake them: found in a
    review). Not trained (a copy of demo_full.yaml that kept learning_curve.pretrained): the stop names
    the key, the run that trains it and this cohort's own cnn (found in a trial). The output's regex as
    Snakemake builds it from the two constraints."""
    monkeypatch.chdir(tmp_path)
    cohort_config.apply_schema(cohort)
    cohort["learning_curve"] = {
        "model": "cnn",
        "fractions": [1.0],
        "pretrained": "results/demo_full/models/cnn",
    }
    cohort["models"]["hybrid"]["pretrained"] = "results/t/models/x"  # this cohort's own: no other's
    said = cohort_config.other_cohort_target(
        "results/demo_full/models/cnn/model.safetensors", cohort, ["config/cohort.yaml"]
    )
    assert said == (
        "config/cohort.yaml: learning_curve.pretrained 'results/demo_full/models/cnn' is a model of cohort "
        "'demo_full', not trained: train it first (snakemake results/demo_full/models/cnn/model.safetensors "
        "--configfile config/demo_full.yaml), or start from this cohort's own: results/t/models/cnn"
    )

    def output() -> re.Pattern:
        return re.compile(f"results/(?P<other>{cohort_config.other_cohort_pattern(cohort)})/(?P<path>.+)$")

    assert output().match("results/demo_full/models/cnn/model.safetensors")  # not there: stopped at
    trained = tmp_path / "results/demo_full/models/cnn"
    trained.mkdir(parents=True)
    for name in ("model.safetensors", "model.json"):
        (trained / name).write_bytes(b"")
    assert not output().match("results/demo_full/models/cnn/model.safetensors")
    assert not output().match("results/demo_full/models/cnn/model.json")
    assert output().match("results/demo_full/models/cnn/metrics.csv")  # a target of demo_full: stopped at
    assert output().match("results/demo_full/report/index.html")
    assert not output().match("results/t/report/index.html")
    assert output().match(
        "results/other/models/cnn/model.json"
    )  # the same file of another cohort: stopped at
    cohort["learning_curve"]["pretrained"] = ""
    assert cohort_config.other_cohort_pattern(cohort) == "(?!t/)[^/]+"


def test_seed_replicates_are_the_models_that_differ_by_their_seed_alone():
    """hybrid_seed1 repeats hybrid (another seed: its own, or the train section's); hybrid_nbr (another
    setting) and hybrid_same (the same seed: the same training) repeat nothing."""
    config = {
        "train": {"seed": 0},
        "models": {
            "hybrid": {"arch": "hybrid", "d_model": 32},
            "cnn": {"arch": "cnn"},
            "hybrid_seed1": {"arch": "hybrid", "d_model": 32, "seed": 1},
            "hybrid_nbr": {"arch": "hybrid", "d_model": 32, "seed": 2, "neighbours": True},
            "hybrid_same": {"arch": "hybrid", "d_model": 32, "seed": 0},
            "cnn_seed7": {"seed": 7, "arch": "cnn"},
        },
    }
    assert cohort_config.seed_replicates(config) == {"hybrid_seed1": "hybrid", "cnn_seed7": "cnn"}
    # the new model is the one repeated, wherever its twin is listed (else the twin would stay among the
    # models it must beat, and the new model be called the replicate)
    config["models"] = {"hybrid_s1": {"arch": "hybrid", "seed": 1}, "hybrid": {"arch": "hybrid"}}
    config["evaluate"] = {"new": "hybrid", "original": "cnn"}
    assert cohort_config.seed_replicates(config) == {"hybrid_s1": "hybrid"}


def test_the_readmes_example_of_a_config_error_is_the_message_a_run_prints(tmp_path):
    """README "Your own cohort" quotes the message of a config without `samples:`; it must be the one
    the check writes (it went stale when the schema's description of `samples` changed)."""
    readme = " ".join((REPO / "README.md").read_text().split())
    quoted = re.search(r"what is allowed, e\.g\. `(config/my\.yaml: missing key 'samples': [^`]*)`", readme)
    assert quoted, "the README's example of a config error"
    config = {"cohort": "t", "reference": {"fasta": "genome.fa", "gtf": "genes.gtf"}}
    with pytest.raises(ConfigError) as error:
        cohort_config.apply_schema(config, ["config/my.yaml"])
    assert " ".join(str(error.value).split()) == quoted.group(1)


def test_readme_step_one_names_every_setting_the_quick_demo_config_changes():
    """README "Your own cohort" step 1 has users copy config/config.yaml: every setting there that
    differs from the schema's default (the demo's sizes, epochs, analyses off) must be named in that
    step, or a real cohort silently trains the demo's 2-epoch small model."""
    readme = (REPO / "README.md").read_text()
    step = readme[readme.index("1. Copy `config/config.yaml`") : readme.index("2. The sample sheet")]
    demo = yaml.safe_load((REPO / "config/config.yaml").read_text())
    defaults = {key: demo[key] for key in ("cohort", "samples", "reference")}
    cohort_config.apply_schema(defaults)

    def leaves(tree: dict, prefix: str = ""):
        for key, value in tree.items():
            if isinstance(value, dict) and key != "models":
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    default = dict(leaves(defaults))
    changed = [key for key, value in leaves(demo) if default.get(key) != value]
    assert "train.epochs" in changed
    unnamed = [
        key
        for key in changed
        if not any(name in step for name in (f"`{key}", f"`{key.rsplit('.', 1)[-1]}"))
        and not (key.startswith("split.") and "`split:`" in step)  # the step deletes it whole
    ]
    assert unnamed == [], f"README step 1 does not name the demo's {unnamed}"


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.symlink_to(p.parent / "gone.bed"), "a symlink to '.*gone.bed', which does not exist"),
        (lambda p: p.mkdir(), "a folder: name a file in it"),
        (lambda p: os.mkfifo(p), "not a regular file but a named pipe"),
    ],
)
def test_a_path_that_holds_no_regular_file_says_what_lies_there(cohort, make, said):
    """A broken symlink, a folder or a FIFO where a sample's file is expected: the message says which, and
    proposes no other file of the folder (the path exists: no typo)."""
    folder = Path(cohort["samples"]).parent
    (folder / "c.bed").write_text("x\n")  # named alike: the typo hint would propose it
    sheet = Path(cohort["samples"])
    sheet.write_text(sheet.read_text().replace(str(folder / "b.bed"), str(folder / "b.bed.gz")))
    make(folder / "b.bed.gz")
    with pytest.raises(ConfigError, match=f"column methylation: file .*b.bed.gz.* \\({said}") as info:
        cohort_config.validate(cohort)
    assert "meant that" not in str(info.value) and "its folder has" not in str(info.value)
