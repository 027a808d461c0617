"""The workflow through a real SLURM with the user profile profiles/slurm-gpu, on the tiny cohort.

tests/slurm/start_cluster.sh starts a throwaway single-node SLURM on this machine (partitions cpu
and gpu, one stand-in GPU; installs Debian's packages when missing, which needs root and apt-get).
One run of the whole DAG through it (module fixture; the tiny config without the learning curve,
the ensemble and the extra analyses, ``CONFIG``), beside a local `--cores 2` run of the same config in another copy; then: the run completed, train ran in partition gpu with a GPU allocated,
every other job in partition cpu, and the results equal the local run's.

Skipped off CI where SLURM cannot be installed (not root, no apt-get); on CI (CI set) that fails.
Deselect with `pytest -m "not slurm"`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import copy_workflow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SLURM = REPO / "tests" / "slurm"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
PROFILE = REPO / "profiles" / "slurm-gpu" / "config.yaml"
RUN_TIMEOUT_S = 900  # the SLURM run took up to ~8 min on the shared 2-core CI machine
METRICS = "results/tiny/evaluation/metrics.tsv"
CONFIG = (
    "config/tiny_slurm.yaml"  # config/tiny.yaml without its extra models and analyses (_write_lean_config)
)
MODELS = ("cnn", "hybrid")
PREDICTIONS = ("cnn", "hybrid", "logreg_gc_cpg", "gbm_histone")
SAMPLES = ("sample1", "sample2")  # epibench demo-data --samples 2
# the profile's `groups`: each sample's chain after check_inputs is one SLURM job, and the samples'
# summaries after it one more (of up to 20 samples)
SAMPLE_CHAIN = ("ingest_split", "ingest_group", "shards")
SAMPLE_SUMMARIES = ("ingest_summary", "qc")
pytestmark = pytest.mark.slurm


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


def _run(args: list[str], cwd: Path, timeout: float | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
        )
    return done


@pytest.fixture(scope="module")
def cluster(request) -> None:
    """The test SLURM, up for this module; only the daemons this start started are stopped after."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _unavailable("snakemake-executor-plugin-slurm is not installed: pip install -e '.[workflow]'")
    started: list[str] = []

    def stop() -> None:
        if started:
            subprocess.run(
                ["bash", str(SLURM / "stop_cluster.sh"), *started], capture_output=True, timeout=120
            )

    request.addfinalizer(stop)  # before the start: a half-started cluster is stopped too
    done = subprocess.run(
        ["bash", str(SLURM / "start_cluster.sh")], capture_output=True, text=True, timeout=600
    )
    match = re.search(r"^started-daemons:(.*)$", done.stdout, flags=re.M)
    started.extend(match.group(1).split() if match else ["slurmd", "slurmctld", "munged"])
    if done.returncode == 2:
        _unavailable(f"no SLURM here: {done.stderr.strip()}")
    if done.returncode != 0:
        pytest.fail(f"tests/slurm/start_cluster.sh failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _copy(root: Path) -> Path:
    return copy_workflow(root, extra=("profiles",))


def _node_overrides() -> list[str]:
    """The user profile's set-resources (as snakemake reads them), then what this small node needs.

    A --set-resources on the command line replaces the profile's whole list, so the profile's
    entries are passed again first: train keeps its partition and runtime; only its CPUs and
    memory (and ingest_split's and regions') shrink to what a CI machine has (later entries win). One CPU each lets SLURM run the
    two train jobs side by side on 2 cores (each still runs the rule's 2 threads: the same
    computation as the local run).
    """
    from snakemake.profiles import ProfileConfigFileParser

    with open(PROFILE) as stream:
        profile = ProfileConfigFileParser().parse(stream)
    small = ["train:cpus_per_task=1", "train:mem_mb=2000", "ingest_split:mem_mb=2000", "regions:mem_mb=2000"]
    return [*profile.get("set-resources", []), *small]


def _node_cpus() -> list[str]:
    """A sample's group job (the profile's `groups`) asks at most the node's CPUs: the profile's
    SAMPLE_JOB_CPUS (4) would stay pending on a 2-CPU node."""
    return ["--resources", f"cpus_per_task={min(4, os.cpu_count() or 1)}"]


def _write_lean_config(root: Path) -> None:
    """``CONFIG``: the tiny cohort with the models the SLURM checks need (a CPU and a GPU job of
    each kind), without the learning curve's and the ensemble's extra trainings, the variant
    effects, the mark ablation and the extras (motifs, calibration, ...): the local workflow test
    runs those; here fewer jobs go through the scheduler, each rule of the core DAG still one."""
    import yaml

    config = yaml.safe_load((root / "config/tiny.yaml").read_text())
    config["models"] = {name: config["models"][name] for name in MODELS}
    for section in ("learning_curve", "variants", "motifs"):
        config.pop(section, None)
    config["evaluate"].pop("ensembles", None)
    config["evaluate"] |= {"extras": False, "ablation": False}
    (root / CONFIG).write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory) -> dict[str, Path]:
    """The tiny cohort run through SLURM and, for comparison, locally (in two copies of the repo)."""
    base = tmp_path_factory.mktemp("epibench slurm")  # a space in the path on purpose
    slurm, local = _copy(base / "slurm"), _copy(base / "local")
    demo = "demo-data --out resources/tiny --chrom-lengths 100000,100000,100000 --samples 2".split()
    _run([str(BIN / "epibench"), *demo], slurm)
    shutil.copytree(slurm / "resources" / "tiny", local / "resources" / "tiny")
    for root in (slurm, local):
        _write_lean_config(root)

    profiles = ["--profile", str(PROFILE.parent), "--profile", str(SLURM / "cluster.yaml")]
    slurm_args = [
        *SNAKEMAKE,
        *profiles,
        "--configfile",
        CONFIG,
        "--set-resources",
        *_node_overrides(),
        *_node_cpus(),
    ]
    # README's first step, the dry run through the profile, before anything exists
    dry_run = subprocess.run(
        [*slurm_args, "--dry-run"], cwd=slurm, env=_env(), capture_output=True, text=True, timeout=300
    )
    # the local run makes only what is compared, meanwhile (it shares the 2 CPUs with the SLURM jobs)
    local_args = [*SNAKEMAKE, "--cores", "2", "--configfile", CONFIG, "--", METRICS]
    started = time.monotonic()
    with open(local / "snakemake.log", "w") as local_log, open(slurm / "snakemake.log", "w") as slurm_log:
        local_run = subprocess.Popen(
            local_args, cwd=local, env=_env(), stdout=local_log, stderr=subprocess.STDOUT
        )
        try:
            code = subprocess.run(
                slurm_args,
                cwd=slurm,
                env=_env(),
                stdout=slurm_log,
                stderr=subprocess.STDOUT,
                timeout=RUN_TIMEOUT_S,
            ).returncode
            assert code == 0, f"the SLURM run failed:\n{(slurm / 'snakemake.log').read_text()[-8000:]}"
            code = local_run.wait(timeout=RUN_TIMEOUT_S)
            assert code == 0, f"the local run failed:\n{(local / 'snakemake.log').read_text()[-6000:]}"
        finally:
            if local_run.poll() is None:
                local_run.kill()
                local_run.wait()
    print(f"SLURM and local runs: {time.monotonic() - started:.0f} s")
    return {"slurm": slurm, "local": local, "dry_run": dry_run}


def _jobs(workdir: Path) -> dict[str, dict[str, str]]:
    """`scontrol show job -d` of the jobs that ran in workdir, by job id (kept by MinJobAge)."""
    text = _run(["scontrol", "show", "job", "-d"], workdir).stdout
    jobs = {}
    for block in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"(\w+)=(\S*)", block))
        workdirs = re.findall(r"^\s*WorkDir=(.*?)\s*$", block, flags=re.M)  # may hold spaces
        if workdirs == [str(workdir)]:
            jobs[fields["JobId"]] = {**fields, "block": block}
    return jobs


def _slurm_logs(workdir: Path) -> dict[str, Path]:
    """The plugin's per-job logs .snakemake/slurm_logs/rule_RULE[/WILDCARDS]/JOBID.log, by job id."""
    return {p.stem: p for p in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}


def test_the_slurm_run_completed(runs):
    slurm = runs["slurm"]
    log = (slurm / "snakemake.log").read_text()
    assert re.search(r"(\d+) of \1 steps \(100%\) done", log), log[-3000:]
    assert (slurm / "results/tiny/report/index.html").stat().st_size > 1000
    jobs = _jobs(slurm)
    assert len(jobs) >= 20, "every rule but `all` and the localrules ran in a SLURM job"
    assert {job["JobState"] for job in jobs.values()} == {"COMPLETED"}
    # the profile's fixed disk_mb: no job log opens with Snakemake's warning of an input-sizing coroutine
    warned = [str(p) for p in _slurm_logs(slurm).values() if "never awaited" in p.read_text()]
    assert not warned, warned


def test_train_ran_in_the_gpu_partition_with_a_gpu(runs):
    slurm = runs["slurm"]
    jobs, logs = _jobs(slurm), _slurm_logs(slurm)
    train = {jid: job for jid, job in jobs.items() if job.get("Comment", "").startswith("rule_train")}
    assert sorted(job["Comment"] for job in train.values()) == sorted(
        f"rule_train_wildcards_{m}" for m in MODELS
    )
    for jid, job in train.items():
        assert job["Partition"] == "gpu", job["block"]
        assert job.get("JOB_GRES") == "gpu:1", job["block"]
        assert "gres:gpu:1" in job["block"], job["block"]  # TresPerJob (--gpus) or TresPerNode (--gres)
        # the jobstep logs the job's environment (--verbose): SLURM gave it the GPU ...
        log = logs[jid].read_text()
        assert "'CUDA_VISIBLE_DEVICES': '0'" in log, logs[jid]
        assert "'SLURM_JOB_PARTITION': 'gpu'" in log, logs[jid]
        # ... and `epibench train` itself saw it
        model = job["Comment"].removeprefix("rule_train_wildcards_")
        train_log = (slurm / f"logs/tiny/train/{model}.log").read_text()
        assert re.search(
            rf"SLURM job {jid} on partition gpu, node \S+, CUDA_VISIBLE_DEVICES=0\b", train_log
        ), train_log
    # the sbatch options, without the job's command line (--wrap)
    calls = [
        c.split("--wrap")[0] for c in re.findall(r"sbatch call: .*", (slurm / "snakemake.log").read_text())
    ]
    train_calls = [c for c in calls if "--comment rule_train" in c]
    assert len(train_calls) == len(MODELS), calls
    for call in train_calls:
        assert " -p gpu " in call, call
        # one way to ask for the GPU: the rule's gpu resource (--gpus) or a gres, never both
        assert len(re.findall(r" --gpus=1 | --gres=gpu:1 ", call)) == 1, call
    assert not any("gpu" in c for c in calls if c not in train_calls), "no GPU for the other rules"


def test_every_other_job_ran_in_the_cpu_partition_without_a_gpu(runs):
    jobs = _jobs(runs["slurm"])
    others = {jid: job for jid, job in jobs.items() if not job.get("Comment", "").startswith("rule_train")}
    assert others
    for job in others.values():
        assert job["Partition"] == "cpu", job["block"]
        assert job.get("JOB_GRES") in (None, "(null)"), job["block"]
    rules = {re.sub(r"_wildcards_.*", "", job["Comment"]) for job in others.values()}
    assert {
        "rule_reference",
        "rule_predict",
        "rule_attribute",
        "rule_metrics",
        "rule_report",
    } <= rules
    # the localrules ran in the Snakemake process, not as jobs
    assert not {"rule_check_inputs", "rule_shard_plan", "rule_chrom_names"} & rules


def test_the_dry_run_through_the_profile_lists_the_jobs(runs):
    """README's first step on a cluster, before any job ran: it once stopped with Snakemake's
    "KeyError: ingest_summary" after the job table (the profile's groups; snakemake#4202)."""
    dry_run = runs["dry_run"]
    assert dry_run.returncode == 0, dry_run.stdout[-3000:] + dry_run.stderr[-3000:]
    table = dry_run.stdout + dry_run.stderr
    for rule in ("fit_calls", "check_inputs", "shard_plan", "train", "report"):
        assert re.search(rf"^{rule}\s+\d+", table, flags=re.M), (rule, table[-3000:])
    assert "This was a dry-run" in table


def test_each_samples_chain_ran_as_one_slurm_job(runs):
    """The profile's `groups`: ingest_split, every ingest_group and every shards job of a sample in
    one SLURM job (one per sample), asking the capped CPUs, not their sum."""
    slurm = runs["slurm"]
    jobs = _jobs(slurm)
    comments = [job.get("Comment", "") for job in jobs.values()]
    assert not [c for c in comments if c.startswith(tuple(f"rule_{r}_" for r in SAMPLE_CHAIN))], comments
    groups = {
        jid: job for jid, job in jobs.items() if job.get("Comment", "").startswith("rule_sample_chain_")
    }
    assert len(groups) == len(SAMPLES), comments
    cap = min(4, os.cpu_count() or 1)
    logs = _slurm_logs(slurm)
    ran = set()
    for jid, job in groups.items():
        assert job["JobState"] == "COMPLETED" and job["Partition"] == "cpu", job["block"]
        assert re.search(rf"\bNumCPUs={cap}\b", job["block"]), job["block"]
        # the group job's Snakemake ran each of the sample's rules
        text = logs[jid].read_text()
        (sample,) = set(re.findall(r"--target-jobs .*?\bsample=(\w+)", text))
        assert job["Comment"].startswith(f"rule_sample_chain_{sample}_"), job["Comment"]  # squeue names it
        ran.add(sample)
        for rule in SAMPLE_CHAIN:
            assert f"(Rule: {rule})" in text, (rule, logs[jid])
    assert ran == set(SAMPLES)


def test_the_samples_summaries_ran_as_one_slurm_job(runs):
    """The profile's second batch: every sample's ingest_summary and qc in one SLURM job (20 samples
    to a job: the tiny cohort's 2 in one)."""
    slurm = runs["slurm"]
    comments = [job.get("Comment", "") for job in _jobs(slurm).values()]
    assert not [c for c in comments if c.startswith(tuple(f"rule_{r}_" for r in SAMPLE_SUMMARIES))], comments
    assert [c for c in comments if c.startswith("rule_sample_summaries_")] == [
        "rule_sample_summaries_ingest_summary_qc"
    ], comments
    (log,) = [p for p in _slurm_logs(slurm).values() if "group_sample_summaries" in str(p)]
    assert _members_run(log) == {(r, s) for r in SAMPLE_SUMMARIES for s in SAMPLES}, log


def test_the_samples_input_checks_ran_as_one_slurm_job(runs):
    """The profile's `group-components`: every sample's fit_calls and sample_chrom_names (short jobs
    that share no input but the reference) in one SLURM job, not one each."""
    slurm = runs["slurm"]
    comments = [job.get("Comment", "") for job in _jobs(slurm).values()]
    assert not [c for c in comments if c.startswith(("rule_fit_calls", "rule_sample_chrom_names"))], comments
    assert [c for c in comments if c.startswith("rule_sample_inputs_")] == [
        "rule_sample_inputs_fit_calls_sample_chrom_names"
    ], comments
    (log,) = [p for p in _slurm_logs(slurm).values() if "group_sample_inputs" in str(p)]
    assert _members_run(log) == {(r, s) for r in ("fit_calls", "sample_chrom_names") for s in SAMPLES}, log


def _members_run(log: Path) -> set[tuple[str, str]]:
    """(rule, sample) of each job a group job's log shows run: "rule RULE:" (or localrule), then
    its wildcards."""
    ran, rule = set(), None
    for line in log.read_text().splitlines():
        if match := re.match(r"(?:local)?rule (\w+):", line):
            rule = match.group(1)
        elif match := re.match(r"\s+wildcards: sample=(\w+)", line):
            ran.add((rule, match.group(1)))
    return ran


def test_results_equal_the_local_run(runs):
    slurm, local = runs["slurm"], runs["local"]
    tables = [pd.read_csv(workdir / METRICS, sep="\t") for workdir in (slurm, local)]
    pd.testing.assert_frame_equal(*tables, check_exact=False, rtol=0, atol=1e-6)
    for model in PREDICTIONS:
        path = f"results/tiny/evaluation/predictions/{model}.parquet"
        pd.testing.assert_frame_equal(
            pd.read_parquet(slurm / path), pd.read_parquet(local / path), check_exact=False, rtol=0, atol=1e-6
        )


def test_a_train_job_signalled_by_slurm_resumes_in_its_retry(runs):
    """SIGTERM to the train job's step mid-training (what the profile's `--signal=TERM@300` sends five
    minutes before the time limit; here `scancel --signal=TERM`): the job checkpoints and fails,
    Snakemake resubmits it (the profile's retries) and the new job resumes from the checkpoint.
    Other train settings than the first run's: a fresh run."""
    import yaml

    slurm = runs["slurm"]
    config = yaml.safe_load((slurm / CONFIG).read_text())
    config["train"] |= {"epochs": 6, "batch_size": 4, "log_every": 1}
    (slurm / "config/preempt.yaml").write_text(yaml.safe_dump(config))
    train_log = slurm / "logs/tiny/train/cnn.log"
    train_log.unlink()
    profiles = ["--profile", str(PROFILE.parent), "--profile", str(SLURM / "cluster.yaml")]
    args = [
        *SNAKEMAKE,
        *profiles,
        "--configfile",
        "config/preempt.yaml",
        "--set-resources",
        *_node_overrides(),
        *_node_cpus(),
    ]
    log = slurm / "preempt.log"
    with open(log, "w") as sink:
        run = subprocess.Popen(
            [*args, "--", "results/tiny/models/cnn/model.safetensors"],
            cwd=slurm,
            env=_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while not (train_log.exists() and " step 20 " in train_log.read_text()):
                assert run.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                time.sleep(0.2)
            queue = _run(["squeue", "-h", "-o", "%i %k"], slurm).stdout.split("\n")
            job_id = next(line.split()[0] for line in queue if line.endswith(" rule_train_wildcards_cnn"))
            _run(["scancel", "--signal=TERM", job_id], slurm)
            code = run.wait(timeout=RUN_TIMEOUT_S)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert code == 0, log.read_text()[-6000:]
    text = train_log.read_text()
    assert "resuming from" in text and (slurm / "results/tiny/models/cnn/model.safetensors").exists(), text[
        -3000:
    ]
    train_calls = [c for c in re.findall(r"sbatch call: .*", log.read_text()) if "--comment rule_train" in c]
    assert len(train_calls) == 2 and all(" --signal=TERM@300 " in c for c in train_calls), train_calls
    signalled = _jobs(slurm)[job_id]
    assert signalled["JobState"] == "FAILED", signalled["block"]  # its jobstep exits 1 on the failed rule


def test_the_readmes_example_of_a_job_comment_names_a_rule_the_profile_submits_alone():
    """README's squeue line gives an example comment `rule_<rule>_wildcards_...`; a rule of the
    profile's `groups` never has a SLURM job of its own (its jobs' comments are the group's,
    rule_sample_chain_<sample>_...), so the example must name a rule outside them."""
    import yaml

    readme = " ".join((REPO / "README.md").read_text().split())
    example = re.search(
        r"the comment \(`%k`\) says which rule and wildcards, e\.g\. `rule_(\w+?)_wildcards_", readme
    )
    assert example, "the README's example of a job comment"
    profile = yaml.safe_load(PROFILE.read_text())
    grouped = {entry.split("=")[0] for entry in profile["groups"]}
    assert example.group(1) not in grouped, f"{example.group(1)} runs inside a group job under the profile"
