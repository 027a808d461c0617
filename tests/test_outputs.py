"""The output catalogue (epibench.outputs): what a cohort's config makes of it, the captions it gives
the Snakemake report, and which entry a file on disk belongs to. That every file a finished workflow
run wrote is catalogued under the rule that wrote it: tests/test_workflow.py."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from epibench import outputs
from epibench.outputs import CATALOGUE, CohortPlan, Output

VALUES = {
    "sample": ["s1", "s2"],
    "to_predict": ["p1"],
    "model": ["cnn", "hybrid"],
    "new": ["hybrid"],
    "ensemble": [],
    "baseline": ["logreg_gc_cpg"],
    "variant_sample": ["s2"],
}


def _plan(*features: str, **values: list[str]) -> CohortPlan:
    return CohortPlan(values=VALUES | values, features=frozenset(features))


def test_targets_follow_the_cohorts_lists_and_features():
    bare = set(outputs.targets(_plan()))
    assert {"qc/s1.qc.png", "qc/s2.qc.png", "models/cnn/loss.png", "models/hybrid/loss.png"} <= bare
    assert {"imputed/p1.png", "imputed/p1.bw"} <= bare and "imputed/s1.png" not in bare
    assert not any("by_covariate" in p or "loso" in p or "ablation" in p or "ensembles/" in p for p in bare)
    assert "interpret/histone_attribution.png" not in bare and "interpret/sequence_attribution.png" in bare
    full = set(outputs.targets(_plan(*outputs.FEATURES, ensemble=["ens"])))
    assert {"evaluation/ablation/hybrid.png", "evaluation/loso.tsv", "evaluation/by_covariate.png"} <= full
    assert "evaluation/ablation/cnn.png" not in full, "only the new model is ablated"
    assert {"evaluation/ensembles/ens.png", "interpret/attention.png"} <= full
    assert {"variants/s2.tsv", "variants/s2.delta.bw"} <= full and "variants/s1.tsv" not in full
    assert not any(p.startswith("variants/") for p in bare)
    # intermediate files are made on the way, not asked for
    assert not any(p.endswith((".parquet", ".pdf", ".safetensors")) for p in full)


def test_a_kind_wildcard_stands_for_its_own_rules_files_only():
    figures = {o.pattern for o in outputs.matching("evaluation/{figure}.png", "figure")}
    assert figures == {
        f"evaluation/{k}.png" for k in ("comparison", "roc", "pr", "per_region", "pred_vs_obs")
    }
    assert outputs.matching("evaluation/{figure}.png", "metrics") == [], "metrics draws no figure"
    assert (
        outputs.matching("evaluation/metrics.tsv", "leaderboard") == []
    ), "written by metrics, not leaderboard"
    assert sorted(outputs.kinds(_plan(), "attribute_figure", ".png")) == [
        "cpg_explanations",
        "sequence_attribution",
    ]


def _render(template: str, **wildcards: str) -> str:
    class Job:
        pass

    job = Job()
    job.wildcards = wildcards
    return jinja2.Template(template).render(snakemake=job).strip()


def test_report_captions_fill_wildcards_and_choose_by_kind():
    context = {"new": "NEWM", "original": "ORIGM"}
    loss = outputs.caption_template("models/{model}/loss.png", "train", context)
    assert "validation loss of model hybrid:" in _render(loss, model="hybrid")
    figure = outputs.caption_template("evaluation/{figure}.png", "figure", context)
    for kind, words in {
        "roc": "ROC curves on the held-out test data",
        "pr": "Precision-recall curves",
        "comparison": "The original model (ORIGM) against the new one (NEWM)",
    }.items():
        text = _render(figure, figure=kind)
        assert words in text and "{" not in text
        assert text.count(". ") < 6, "one caption, not every kind's"
    with pytest.raises(KeyError):
        outputs.caption_template("evaluation/predictions/{model}.parquet", "predict", context)


@pytest.mark.parametrize(
    "path, stage",
    [
        ("shards/sample1/chr1/pos.npy", "shards"),
        ("shards/sample1/chr1/.snakemake_timestamp", "shards"),
        ("methylation/s1/calls/chr2.parquet", "ingest_split"),
        ("qc/s1/chr2.ingest.json", "ingest_group"),
        ("qc/s1.ingest.json", "ingest_summary"),
        ("models/cnn/checkpoint.pt", "train"),
    ],
)
def test_a_file_belongs_to_its_entry(path, stage):
    assert [o.stage for o in outputs.entries_of(path)] == [stage]


def test_alike_patterns_give_every_candidate():
    stages = {o.stage for o in outputs.entries_of("evaluation/predictions/logreg_gc_cpg.parquet")}
    assert stages == {"predict", "baseline", "ensemble"}


def test_an_unknown_file_belongs_to_no_entry():
    assert outputs.entries_of("evaluation/something_new.tsv") == []
    assert outputs.entries_of("qc/s1/chr2.ingest.json/extra") == [], "only folders hold files"


def test_entries_are_checked():
    with pytest.raises(ValueError, match="caption"):
        Output("evaluation/x.tsv", "x", section="Evaluation")
    with pytest.raises(ValueError, match="section"):
        Output("evaluation/x.tsv", "x", "a caption", section="Appendix")
    patterns = [o.pattern for o in CATALOGUE]
    assert len(patterns) == len(set(patterns)), "one entry per file"


def test_the_readme_table_lists_every_rule_and_its_reported_files():
    """README "What runs": a row per rule of the catalogue, naming the files the report shows."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme[readme.index("## What runs") : readme.index("## Your own cohort")]
    rows = {
        line.split("|")[1].strip().split(" (")[0]: line
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| stage")
    }
    stages = {o.stage for o in CATALOGUE}
    assert stages - {"ensemble_report"} <= {n for row in rows for n in row.split(", ")}
    missing = []
    for output in CATALOGUE:
        row = next((line for name, line in rows.items() if output.stage in name.split(", ")), "")
        shown = re.sub(r"\{(\w+)\}", r"<\1>", output.pattern)
        name = shown.rsplit("/", 1)[-1]
        stem = name.split(".")[0]  # or its stem and, after a sibling, its suffix: `loso.tsv`, `.png`
        short = (stem in row and f"`{name[len(stem):]}`" in row) or name[name.find(">") + 1 :] in row
        if output.section and not (shown in row or name in row or short):
            missing.append(shown)
    assert not missing, f"README's What runs table does not name {missing}"


def test_a_path_no_rule_writes_is_taken_by_the_stop_rule_and_no_other():
    """Rule unmade_result takes a path under results/<cohort>/ that no rule's output pattern makes up
    (its wildcards as their global constraints, else any text), nor a file inside a folder output."""
    patterns = [
        "evaluation/leaderboard.tsv",
        "evaluation/predictions/{model}.parquet",
        "shards/{sample}/{group}",
    ]
    constraint = outputs.unmade_path_constraint(patterns, {"model": "cnn|hybrid", "sample": "s1|s2"})
    taken = re.compile(rf"results/tiny/(?P<path>{constraint})$")
    for written in (
        "evaluation/leaderboard.tsv",
        "evaluation/predictions/hybrid.parquet",
        "shards/s1/chr1",
        "shards/s2/small_1/hist.npy",  # inside a folder output
    ):
        assert not taken.fullmatch(f"results/tiny/{written}"), written
    for misspelt in (
        "evaluation/leaderbord.tsv",
        "evaluation/leaderboard.tsv.bak",
        "evaluation/predictions/hybird.parquet",
        "shards/s3/chr1",
    ):
        assert taken.fullmatch(f"results/tiny/{misspelt}"), misspelt
    # without a constraint a wildcard matches any text, as Snakemake's do
    anything = re.compile(rf"(?P<path>{outputs.unmade_path_constraint(['evaluation/{figure}.png'], {})})$")
    assert not anything.fullmatch("evaluation/rocc.png") and anything.fullmatch("evaluation/rocc.pdf")


def test_a_misspelt_result_is_answered_with_the_cohorts_nearest_file():
    plan = _plan()
    said = outputs.unmade_result_message("evaluation/predictions/hybird.parquet", plan, "tiny")
    assert said.startswith("results/tiny/evaluation/predictions/hybird.parquet is no file of the workflow")
    assert said.endswith("did you mean results/tiny/evaluation/predictions/hybrid.parquet?")
    said = outputs.unmade_result_message("report/indx.html", plan, "tiny")
    assert said.endswith("did you mean results/tiny/report/index.html?")
    assert "did you mean" not in outputs.unmade_result_message("something/else/entirely.xyz", plan, "tiny")


def test_a_file_written_beside_a_rules_outputs_names_the_rule_not_itself():
    """checkpoint.pt and the tracks are catalogued but no rule declares them: asking for one names the
    rule that writes it, not the same path as the nearest file."""
    said = outputs.unmade_result_message("models/hybrid/checkpoint.pt", _plan(), "tiny")
    assert "is written by rule train beside the files it declares" in said and "did you mean" not in said


def test_a_model_folder_read_as_pretrained_is_not_taken_by_the_stop_rule():
    """workflow/rules/common.smk lists any model folder's files among the paths no stop is made for:
    a folder of this cohort a model starts from (pretrained) need not be one this config trains, and a
    trailing / in the config doubles the slash."""
    patterns = ["models/{folder}/model.safetensors", "models/{model}/model.json"]
    constraint = outputs.unmade_path_constraint(patterns, {"model": "cnn|hybrid"})
    taken = re.compile(rf"(?P<path>{constraint})$")
    assert not taken.fullmatch("models/old_cnn/model.safetensors")
    assert not taken.fullmatch("models/cnn//model.safetensors")
    assert taken.fullmatch("models/old_cnn/model.json"), "only the patterns given are left out"
