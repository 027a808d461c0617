"""Transfer learning: start a model from another cohort's trained model, then fine-tune.

A model entry with ``pretrained: <model folder>`` (model.json + model.safetensors, as
``epibench train`` writes them) is built with the pretrained model's architecture and sizes
and starts from its weights; ``freeze: sequence`` keeps the sequence encoder fixed (only
histone encoder, fusion and heads learn), ``freeze: none`` fine-tunes every layer.

Marks: the weights that read the histone input (the hybrid's ``histone.proj``, the CNN's
first dense layer) have one block of columns per mark (its signal and its mask). Each of
this cohort's marks takes the block of the pretrained mark of the same name, or of the one
``mark_map`` names for it (this cohort's mark -> the pretrained model's); a mark with no
counterpart keeps freshly initialised weights, and the log and the model's meta say which.
Weights are read with safetensors (no pickle); the window and histone bins must match.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from epibench.data.manifest import sha256_of
from epibench.errors import InputError
from epibench.train.modelfile import META, WEIGHTS

log = logging.getLogger(__name__)

FREEZE_CHOICES = ("none", "sequence")
#: per architecture: the parameter that reads the histone input, and whether it has a column per
#: bin of each mark (the CNN's flattened input) or one per mark (the hybrid's per-bin projection)
MARK_WEIGHTS = {"hybrid": ("histone.proj.weight", False), "cnn": ("dense.0.weight", True)}
#: per architecture: the prefixes of the sequence encoder's parameters
SEQUENCE_PREFIXES = {"hybrid": ("sequence.",), "cnn": ("conv.",)}


@dataclass(frozen=True)
class TransferSettings:
    """What a model entry says about its start: the pretrained model folder, what to freeze, mark names."""

    pretrained: Path
    freeze: str = "none"
    mark_map: tuple[tuple[str, str], ...] = ()

    @classmethod
    def pop_from(cls, model_settings: dict[str, Any]) -> "TransferSettings | None":
        """Remove ``pretrained``, ``freeze`` and ``mark_map`` from ``model_settings``; None without ``pretrained``."""
        pretrained = model_settings.pop("pretrained", None)
        freeze = model_settings.pop("freeze", "none")
        mark_map = model_settings.pop("mark_map", {}) or {}
        if pretrained is None:
            if freeze != "none" or mark_map:
                raise InputError("freeze and mark_map need pretrained: (a trained model folder)")
            return None
        if freeze not in FREEZE_CHOICES:
            raise InputError(f"freeze must be one of {FREEZE_CHOICES}, got {freeze!r}")
        return cls(Path(pretrained), freeze, tuple(sorted(mark_map.items())))


def pretrained_meta(settings: TransferSettings) -> dict[str, Any]:
    """The pretrained model's model.json (InputError naming the file when it is missing or not JSON)."""
    meta_path = settings.pretrained / META
    for path in (meta_path, settings.pretrained / WEIGHTS):
        if not path.is_file():
            raise InputError(
                "pretrained model file missing (pretrained: names a trained model folder)", path=path
            )
    try:
        return json.loads(meta_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", path=meta_path, line=err.lineno) from err


def architecture(settings: TransferSettings, model_settings: dict[str, Any]) -> dict[str, Any]:
    """``model_settings`` (arch + size overrides) completed from the pretrained model: sizes must agree."""
    meta = pretrained_meta(settings)
    if model_settings.get("arch") != meta["arch"]:
        raise InputError(
            f"arch {model_settings.get('arch')!r} differs from the pretrained model's {meta['arch']!r}",
            path=settings.pretrained / META,
        )
    asked = json.loads(json.dumps(model_settings))  # as model.json holds them (tuples as lists)
    clashes = {
        k: (v, meta["model_config"][k])
        for k, v in asked.items()
        if k != "arch" and k in meta["model_config"] and meta["model_config"][k] != v
    }
    if clashes:
        raise InputError(
            f"sizes differ from the pretrained model's (yours, pretrained): {clashes}",
            path=settings.pretrained / META,
        )
    return {"arch": meta["arch"], **meta["model_config"]}


def load_pretrained(
    model: nn.Module, settings: TransferSettings, marks: list[str], n_bins: int, window: int
) -> dict[str, Any]:
    """Copy the pretrained weights into ``model`` (built by ``build_model`` for ``marks``), freeze.

    Returns the record kept in model.json: folder, freeze, weights_sha256, marks_from
    (this cohort's mark -> pretrained mark it starts from), marks_reinitialised, unused
    pretrained marks, frozen parameter count.
    """
    meta = pretrained_meta(settings)
    where = settings.pretrained / META
    if meta["window"] != window or meta["n_bins"] != n_bins:
        raise InputError(
            f"the pretrained model reads {meta['window']} bp windows and {meta['n_bins']} histone bins; "
            f"these shards have {window} bp and {n_bins} bins (set shards.window / bin_size to match)",
            path=where,
        )
    weights_path = settings.pretrained / WEIGHTS
    state = load_file(str(weights_path))
    mapping = dict(settings.mark_map)
    unknown = {k: v for k, v in mapping.items() if k not in marks or v not in meta["marks"]}
    if unknown:
        raise InputError(
            f"mark_map {unknown}: keys must be this cohort's marks {marks}, values the pretrained marks {meta['marks']}",
            path=where,
        )
    source = {m: mapping.get(m, m) for m in marks if mapping.get(m, m) in meta["marks"]}
    new_state = model.state_dict()
    mark_weight, per_bin = MARK_WEIGHTS[meta["arch"]]
    for name, tensor in new_state.items():
        if name == mark_weight:
            block = n_bins if per_bin else 1
            new_state[name] = _mark_columns(tensor, state[name], marks, meta["marks"], source, block)
        elif name in state and state[name].shape == tensor.shape:
            new_state[name] = state[name]
        else:
            raise InputError(
                f"the pretrained weights lack {name} with shape {tuple(tensor.shape)}", path=weights_path
            )
    model.load_state_dict(new_state, strict=True)
    frozen = 0
    if settings.freeze == "sequence":
        for name, parameter in model.named_parameters():
            if name.startswith(SEQUENCE_PREFIXES[meta["arch"]]):
                parameter.requires_grad_(False)
                frozen += parameter.numel()
    record = {
        "folder": str(settings.pretrained),
        "freeze": settings.freeze,
        "weights_sha256": sha256_of(weights_path),
        "marks_from": source,
        "marks_reinitialised": [m for m in marks if m not in source],
        "pretrained_marks_unused": [m for m in meta["marks"] if m not in source.values()],
        "frozen_parameters": frozen,
    }
    log.info(
        "started from %s (freeze %s): marks %s; re-initialised (no pretrained counterpart): %s; "
        "pretrained marks unused: %s",
        settings.pretrained,
        settings.freeze,
        source,
        record["marks_reinitialised"] or "none",
        record["pretrained_marks_unused"] or "none",
    )
    return record


def _mark_columns(
    fresh: torch.Tensor,
    pretrained: torch.Tensor,
    marks: list[str],
    old_marks: list[str],
    source: dict,
    block: int,
) -> torch.Tensor:
    """The histone-reading weight: non-histone columns and the blocks of mapped marks from
    ``pretrained``, the blocks of unmapped marks as ``fresh`` (new init).

    Layout (both models): [other inputs (F columns)] then 2 x M blocks (signal of each
    mark, then mask of each mark), each ``block`` columns wide: 1 for the hybrid's per-bin
    projection, n_bins for the CNN's flattened (2M, NB) input.
    """
    m_new, m_old = len(marks), len(old_marks)
    other = fresh.shape[1] - 2 * m_new * block
    if pretrained.shape[1] - 2 * m_old * block != other or pretrained.shape[0] != fresh.shape[0]:
        raise InputError(
            f"pretrained histone weights {tuple(pretrained.shape)} do not fit {tuple(fresh.shape)}"
        )
    out = fresh.clone()
    out[:, :other] = pretrained[:, :other]
    for new_index, mark in enumerate(marks):
        if mark not in source:
            continue
        old_index = old_marks.index(source[mark])
        for kind in (0, 1):  # signal, mask
            new_start = other + (kind * m_new + new_index) * block
            old_start = other + (kind * m_old + old_index) * block
            out[:, new_start : new_start + block] = pretrained[:, old_start : old_start + block]
    return out
