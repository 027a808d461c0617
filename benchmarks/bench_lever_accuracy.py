"""Accuracy of the training-speed levers: the hybrid trained with and without each, same seed and epochs.

A lever that speeds training (issue 22) may not cost accuracy: on the demo cohort, test AUROC within
0.005 of the default. For each lever set in ``LEVERS`` this trains the model ``--model`` of
``--config`` (default: the quick demo's hybrid, ``config/config.yaml``) with that config's train
settings (seed, epochs, batch, lr) plus the lever's overrides, on the shards of the finished demo
(``make demo``: ``results/demo/shards/<sample>/<group>``), then predicts the test split and reports:

- val_auroc: the loop's validation AUROC after the last epoch (the same number of steps for every
  set whose batch size is the default's);
- test_auroc: AUROC of the methylated call on the test split (``sklearn.metrics.roc_auc_score``,
  pooled over samples, as ``evaluation/metrics.tsv``'s overall row);
- with ``--seeds``, each figure's mean over the seeds and the test AUROC's standard deviation (on the
  demo one seed's test AUROC moves by ~0.005 between seeds, the size of the tolerance);
- seconds and samples/s of training on this machine (CPU figures: the speed that counts is the
  GPU's, ``benchmarks/gpu_train.sh``).

    .venv/bin/python benchmarks/bench_lever_accuracy.py --quick          # < 1 min: 1 epoch on 10 %
    .venv/bin/python benchmarks/bench_lever_accuracy.py --levers rmsnorm dropout_0.1 --seeds 0 1 2

The last printed line is one JSON object: value = the worst test AUROC of the non-default sets,
baseline = the default's test AUROC (means over the seeds), ratio, and every set's figures under
``levers``.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

from epibench.cli.common import model_and_dataset
from epibench.evaluate.predict import predict
from epibench.threads import use_threads
from epibench.train.from_shards import train_from_shards
from epibench.train.loop import METRICS

#: lever set -> (model overrides, train overrides); "default" is the config's own settings.
LEVERS = {
    "default": ({}, {}),
    "rmsnorm": ({"norm": "rmsnorm"}, {}),
    "dropout_0.1": ({"dropout": 0.1}, {}),
    "dropout_0": ({"dropout": 0.0}, {}),
    "batch_x2_lr_sqrt2": ({}, {"batch_size": 2, "lr": 2**0.5}),  # multipliers
    "batch_x2_lr_sqrt2_same_steps": ({}, {"batch_size": 2, "lr": 2**0.5, "epochs": 2}),
}
MULTIPLIED = ("batch_size", "lr", "epochs")  # train overrides given as multipliers of the config's value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--model", default="hybrid", help="a key of the config's models:")
    parser.add_argument("--shards", nargs="+", help="shard folders (default: results/<cohort>/shards/*/*)")
    parser.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    parser.add_argument("--quick", action="store_true", help="1 epoch on 10 %% of the training rows")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="train seeds (default: the config's); several give a spread"
    )
    args = parser.parse_args(argv)
    if "default" not in args.levers:
        args.levers.insert(0, "default")
    return args


def lever_settings(model: dict, train: dict, lever: str) -> tuple[dict, dict]:
    """The config's model and train settings with ``lever``'s overrides applied."""
    model_over, train_over = LEVERS[lever]
    train = dict(train)
    for key, value in train_over.items():
        train[key] = type(train[key])(train[key] * value) if key in MULTIPLIED else value
    return {**model, **model_over}, train


def run_lever(shards: list[str], model: dict, train: dict, out_dir: Path) -> dict:
    """Train, predict the test split, and measure."""
    started = time.perf_counter()
    summary = train_from_shards(shards, model, train, out_dir)
    seconds = time.perf_counter() - started
    trained, shard_rows = model_and_dataset(str(out_dir), shards, "test")
    table = predict(trained, shard_rows, "lever")
    last_epoch = pd.read_csv(out_dir / METRICS).iloc[-1]
    return {
        "test_auroc": float(roc_auc_score(table["label_true"], table["prob_pred"])),
        "val_auroc": float(last_epoch["val_auroc"]),
        "steps": summary["steps"],
        "seconds": seconds,
        "samples_per_s": summary["samples_per_s"],
    }


def summarise(runs: list[dict]) -> dict:
    """Means over seeds of every figure, the test AUROC's standard deviation (0 for one seed) and
    each seed's test AUROC."""
    tests = [r["test_auroc"] for r in runs]
    return {
        **{key: float(np.mean([r[key] for r in runs])) for key in runs[0]},
        "test_auroc_sd": float(np.std(tests, ddof=1)) if len(tests) > 1 else 0.0,
        "test_auroc_per_seed": tests,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    use_threads(args.threads)
    config = yaml.safe_load(Path(args.config).read_text())
    shards = args.shards or sorted(
        str(Path(p).parent) for p in glob.glob(f"results/{config['cohort']}/shards/*/*/manifest.json")
    )
    if not shards:
        raise SystemExit(f"no shards: run `make demo` first or pass --shards ({args.config})")
    model = dict(config["models"][args.model])
    train = {k: v for k, v in config["train"].items() if k not in ("threads", "gpus")}
    train.update(device="cpu", checkpoint_every=0)
    if args.quick:
        train.update(epochs=1, fraction=0.1)
    print(f"{args.model} of {args.config} on {len(shards)} shard folders; train {train}")
    seeds = args.seeds or [train["seed"]]
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lever in args.levers:
            for seed in seeds:
                lever_model, lever_train = lever_settings(model, train | {"seed": seed}, lever)
                r = run_lever(shards, lever_model, lever_train, Path(tmp) / f"{lever}_{seed}")
                runs.setdefault(lever, []).append(r)
                print(
                    f"{lever:20s} seed {seed}  test AUROC {r['test_auroc']:.4f}  val AUROC {r['val_auroc']:.4f}  "
                    f"{r['steps']} steps  {r['seconds']:.0f} s  {r['samples_per_s']:.0f} samples/s"
                )
    results = {lever: summarise(lever_runs) for lever, lever_runs in runs.items()}
    for lever, r in results.items():
        print(
            f"{lever:20s} test AUROC {r['test_auroc']:.4f} (sd {r['test_auroc_sd']:.4f}, {len(seeds)} seeds)  "
            f"val AUROC {r['val_auroc']:.4f}"
        )
    default = results["default"]["test_auroc"]
    others = [r["test_auroc"] for lever, r in results.items() if lever != "default"]
    worst = min(others) if others else default
    print(
        json.dumps(
            {
                "bench": "lever_accuracy",
                "value": worst,
                "unit": "test AUROC (worst lever set)",
                "baseline": "default",
                "baseline_value": default,
                "ratio": worst / default,
                "max_drop": float(np.max([default - a for a in others])) if others else 0.0,
                "quick": args.quick,
                "seeds": seeds,
                "config": args.config,
                "model": args.model,
                "levers": results,
            }
        )
    )


if __name__ == "__main__":
    main()
