"""The train settings in two kinds: those that decide the trained model, and those that only decide
how a training run goes (``RUNTIME_KEYS``).

The workflow passes the first kind as a Snakemake param, so a change retrains the model (and reruns
what reads it); the second kind reaches ``epibench train`` another way (``--runtime-json``; the rule
says how), so a change applies from the next training and reruns nothing. A checkpoint resumes across
a change of the second kind (epibench.train.checkpoint). Light: the workflow imports this module.
"""

from __future__ import annotations

import json

from epibench.errors import InputError

#: Train settings that leave the training recipe what it is, each with the reason: num_workers,
#: log_every and checkpoint_every give the same weights to the bit; compile and device a run of the
#: same recipe whose weights differ as two runs' do (rounding, and dropout's masks drawn by another
#: generator), not a model of other settings. Every other train setting (epochs, batch_size, lr, seed,
#: histone_norm, ...) changes what is learned.
RUNTIME_KEYS = {
    "num_workers": "DataLoader processes: the batches, their order and flips come from the seed alone "
    "(epibench.data.loader)",
    "log_every": "how often progress is logged",
    "checkpoint_every": "how often a checkpoint is written: a resumed run continues exactly where it stopped",
    "compile": "torch.compile runs the same recipe through other kernels (rounding and dropout's random "
    "masks differ, not the settings learned with)",
    "compile_mode": "which kernels torch.compile makes (as compile)",
    "device": "which processor runs the same recipe (rounding and dropout's masks differ, as with compile)",
}
#: Keys of the config's train section that size the train job (threads, the launcher, the
#: scheduler's resources), not settings of ``epibench train``. Their product gpus x nodes is one:
#: ``processes``, the DDP processes, each training on batches of its own, so that the effective batch
#: is processes x batch_size (``epibench train`` checks it against the processes that run).
MACHINE_KEYS = ("threads", "gpus", "nodes")


def split(settings: dict) -> tuple[dict, dict]:
    """``settings`` as (those that decide the model, ``RUNTIME_KEYS``)."""
    learned = {k: v for k, v in settings.items() if k not in RUNTIME_KEYS}
    return learned, {k: v for k, v in settings.items() if k in RUNTIME_KEYS}


def runtime_only(settings: dict, where: str = "--runtime-json") -> dict:
    """``settings`` when every key is one of ``RUNTIME_KEYS``; InputError naming the others."""
    others = sorted(set(settings) - set(RUNTIME_KEYS))
    if others:
        raise InputError(
            f"{where}: {', '.join(others)} change(s) the trained model, so they are no runtime setting "
            f"(those are {', '.join(RUNTIME_KEYS)}): give them with the model's settings"
        )
    return settings


def as_words(settings: dict) -> list[str]:
    """``KEY=VALUE`` per setting, sorted by key, as ``from_words`` reads them back: VALUE as JSON, a
    string bare unless JSON would read it as something else (``histone_norm=robust``, ``lr=0.0003``,
    ``compile=true``). Snakemake records each word of a params list apart, so a change shows as
    ``before: 'epochs=30' now: 'epochs=40'``."""
    return [f"{key}={_word_value(value)}" for key, value in sorted(settings.items())]


def _word_value(value) -> str:
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value)


def from_words(words: list[str]) -> dict:
    """The settings of ``KEY=VALUE`` words (``as_words``): VALUE as JSON, or as a string where it is
    no JSON; InputError for a word without ``=`` or a key given twice."""
    settings = {}
    for word in words:
        key, equals, text = word.partition("=")
        if not equals or not key:
            raise InputError(f"train setting {word!r} is not KEY=VALUE")
        if key in settings:
            raise InputError(f"train setting {key} given twice")
        try:
            settings[key] = json.loads(text)
        except ValueError:
            settings[key] = text
    return settings


def merged(*parts: tuple[str, dict]) -> dict:
    """The settings of every (source, settings) part; InputError for a key two parts give different
    values (naming both sources)."""
    settings: dict = {}
    source: dict[str, str] = {}
    for name, part in parts:
        for key, value in part.items():
            if key in settings and settings[key] != value:
                raise InputError(
                    f"train setting {key} is {settings[key]!r} in {source[key]} but {value!r} in {name}"
                )
            settings[key], source[key] = value, name
    return settings
