"""The train settings that decide the model, and the runtime ones that only decide how a run goes
(epibench.train_settings): which is which, how ``epibench train`` takes them, and that the runtime
ones indeed train the same model."""

from __future__ import annotations

import dataclasses

import pytest
from safetensors.torch import load_file

from epibench.cli import build_parser, main
from epibench.cli.train import model_settings, train_settings
from epibench.config import TRAIN_SCHEMA, TRAINING_KEYS, model_train_settings
from epibench.errors import InputError
from epibench.train.checkpoint import RESUMABLE_CHANGES
from epibench.train.from_shards import DATA_SETTINGS, check_processes, train_from_shards
from epibench.train.loop import TrainConfig
from epibench.train_settings import (
    MACHINE_KEYS,
    RUNTIME_KEYS,
    as_words,
    from_words,
    merged,
    runtime_only,
    split,
)

TRAIN_FIELDS = {field.name for field in dataclasses.fields(TrainConfig)}


def test_every_train_key_is_of_one_kind():
    """Each key of the config's train section is a runtime setting, the machine's, or one that decides
    the model (a TrainConfig field or a data setting); a model entry's own keys decide the model."""
    keys = set(TRAIN_SCHEMA["properties"])
    assert set(RUNTIME_KEYS) <= keys & TRAIN_FIELDS
    assert set(MACHINE_KEYS) <= keys
    assert keys - set(MACHINE_KEYS) <= TRAIN_FIELDS | set(DATA_SETTINGS)
    assert not set(TRAINING_KEYS) & set(RUNTIME_KEYS)
    assert {"epochs", "batch_size", "lr", "seed", "histone_norm", "fraction"} <= (
        TRAIN_FIELDS | set(DATA_SETTINGS)
    ) - set(RUNTIME_KEYS)


def test_a_checkpoint_resumes_across_a_runtime_change_only():
    assert RESUMABLE_CHANGES == set(RUNTIME_KEYS)


def test_a_models_settings_split_with_its_own_keys():
    train = {
        "epochs": 30,
        "lr": 3e-4,
        "log_every": 100,
        "device": "auto",
        "gpus": 2,
        "nodes": 1,
        "threads": 4,
    }
    learned, runtime = model_train_settings(train, {"arch": "cnn", "epochs": 5, "fraction": 0.5})
    assert learned == {"epochs": 5, "lr": 3e-4, "fraction": 0.5, "processes": 2}
    assert runtime == {"log_every": 100, "device": "auto"}
    assert split({"seed": 1, "num_workers": 0}) == ({"seed": 1}, {"num_workers": 0})


@pytest.mark.parametrize(
    "settings",
    [
        {"epochs": 30, "lr": 3e-4, "weight_decay": 1e-05, "histone_norm": "robust", "compile": True},
        {"compile": "auto", "fraction": 0.25, "odd": "1", "text": "true", "empty": "", "spaced": "a b=c"},
    ],
)
def test_words_read_back_as_the_settings(settings):
    words = as_words(settings)
    assert words == sorted(words)
    assert from_words(words) == settings


def test_words_are_readable():
    assert as_words({"histone_norm": "robust", "epochs": 30, "compile": False}) == [
        "compile=false",
        "epochs=30",
        "histone_norm=robust",
    ]


@pytest.mark.parametrize("words, message", [(["epochs"], "not KEY=VALUE"), (["=3"], "not KEY=VALUE")])
def test_a_bad_word_is_an_input_error(words, message):
    with pytest.raises(InputError, match=message):
        from_words(words)


def test_a_key_given_twice_is_an_input_error():
    with pytest.raises(InputError, match="epochs given twice"):
        from_words(["epochs=3", "epochs=4"])
    with pytest.raises(InputError, match="epochs is 3 in --train-json but 4 in --train"):
        merged(("--train-json", {"epochs": 3}), ("--train", {"epochs": 4}))
    assert merged(("a", {"epochs": 3}), ("b", {"epochs": 3, "seed": 1})) == {"epochs": 3, "seed": 1}


def test_runtime_only_names_the_keys_that_change_the_model():
    assert runtime_only({"log_every": 5}) == {"log_every": 5}
    with pytest.raises(InputError, match=r"--runtime-json: epochs, lr change\(s\) the trained model"):
        runtime_only({"epochs": 3, "lr": 0.1, "device": "cpu"})


def _args(*words: str):
    return build_parser().parse_args(
        ["train", "--shards", "s", "--model-json", "{}", "--out-dir", "o", *words]
    )


def test_the_train_command_merges_its_three_sources():
    args = _args(
        "--train",
        "epochs=3",
        "histone_norm=log1p",
        "--runtime-json",
        '{"log_every": 7}',
        "--train-json",
        '{"seed": 2}',
    )
    assert train_settings(args) == {"epochs": 3, "histone_norm": "log1p", "log_every": 7, "seed": 2}
    assert train_settings(_args()) == {}


def test_the_train_command_refuses_a_model_setting_as_a_runtime_one_and_writes_nothing(capsys, tmp_path):
    out_dir = tmp_path / "model"
    code = main(
        [
            "train",
            "--shards",
            "s",
            "--model",
            "arch=cnn",
            "--out-dir",
            str(out_dir),
            "--runtime-json",
            '{"epochs": 3}',
        ]
    )
    assert code == 2
    assert "--runtime-json: epochs change(s) the trained model" in capsys.readouterr().err
    assert not out_dir.exists()


def test_the_processes_setting_must_be_the_processes_that_run(monkeypatch):
    """``processes`` (train.gpus x train.nodes) decides the effective batch: training stops when
    another number of processes runs."""
    check_processes(None)
    check_processes(1)
    with pytest.raises(InputError, match="processes is 4 .* but 1 run"):
        check_processes(4)
    monkeypatch.setenv("WORLD_SIZE", "4")
    check_processes(4)


MODEL = {"arch": "cnn", "channels": [8, 8], "kernels": [5, 5], "pools": [2, 2], "dense": 8}
TRAIN = {"epochs": 2, "batch_size": 64, "warmup_steps": 1, "seed": 3, "device": "cpu"}


def test_runtime_settings_train_the_same_model(tiny_shards, tmp_path):
    """Two runs apart in the runtime settings that change no arithmetic give the same weights, bit for
    bit (compile and device change the rounding, not what is learned: not compared here)."""
    one = {"num_workers": 0, "log_every": 100, "checkpoint_every": 0}
    other = {"num_workers": 1, "log_every": 1, "checkpoint_every": 1}
    weights = []
    for number, runtime in enumerate([one, other]):
        train_from_shards(tiny_shards, MODEL, TRAIN | runtime, tmp_path / str(number))
        weights.append(load_file(tmp_path / str(number) / "model.safetensors"))
    assert weights[0].keys() == weights[1].keys()
    assert all((weights[0][k] == weights[1][k]).all() for k in weights[0])


def test_the_train_command_reads_the_architecture_as_words_and_requires_it():
    args = _args("--model", "arch=hybrid", "d_model=64", 'mark_map={"H3K4me3": "H3K4me3"}')
    assert model_settings(args) == {"arch": "hybrid", "d_model": 64, "mark_map": {"H3K4me3": "H3K4me3"}}
    with pytest.raises(InputError, match="d_model is 32 in --model-json but 64 in --model"):
        model_settings(
            build_parser().parse_args(
                ["train", "--shards", "s", "--model-json", '{"arch": "cnn", "d_model": 32}', "--out-dir", "o"]
                + ["--model", "d_model=64"]
            )
        )
    with pytest.raises(InputError, match="architecture is missing: give arch=hybrid"):
        model_settings(_args("--model", "d_model=64"))
