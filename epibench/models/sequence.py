"""Sequence encoder: ACGTN codes -> contextual tokens (CNN stem + pre-norm transformer encoder)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from epibench.codes import BASES
from epibench.models.onehot import OneHot
from epibench.models.transformer import Encoder


def sinusoidal_encoding(length: int, dim: int, device=None, dtype=None) -> torch.Tensor:
    """Fixed sine/cosine position encoding (Vaswani et al. 2017).

    Returns (length, dim): even channels sin(pos / 10000^(2i/dim)), odd channels cos(...).
    ``dim`` must be even.
    """
    if dim % 2:
        raise ValueError(f"sinusoidal encoding needs an even dimension, got {dim}")
    pos = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    enc = torch.empty(length, dim, device=device, dtype=torch.float32)
    enc[:, 0::2] = torch.sin(pos * freq)
    enc[:, 1::2] = torch.cos(pos * freq)
    return enc.to(dtype) if dtype is not None else enc


class SequenceTransformer(nn.Module):
    """ACGTN window -> one ``d_model`` token per ``stem_pool`` bases.

    Layers: ``seq_embedding`` nn.Embedding(5, d_model) -> CNN stem (one Conv1d of width
    ``stem_kernel``, same padding, GELU, MaxPool1d(stem_pool); stem_pool 1 keeps one
    token per base) -> + sinusoidal position encoding -> pre-norm transformer encoder
    (``epibench.models.transformer``: LayerNorm or RMSNorm, self-attention through
    ``scaled_dot_product_attention``).

    Input:  seq (B, W) int64 codes 0..4 (``epibench.codes.BASES``).
    Output: (B, W // stem_pool, d_model); token t covers bases [t*stem_pool, (t+1)*stem_pool).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        ff_dim: int,
        n_layers: int,
        stem_pool: int,
        stem_kernel: int,
        dropout: float,
        norm: str = "layernorm",
    ):
        super().__init__()
        self.seq_input = OneHot()
        self.seq_embedding = nn.Embedding(len(BASES), d_model)
        self.stem_conv = nn.Conv1d(d_model, d_model, stem_kernel, padding="same")
        self.stem = nn.Sequential(nn.GELU(), nn.MaxPool1d(stem_pool) if stem_pool > 1 else nn.Identity())
        self.stem_pool = stem_pool
        self.dropout = nn.Dropout(dropout)
        self.encoder = Encoder(d_model, n_heads, ff_dim, n_layers, dropout, norm)

    def embed_and_convolve(self, one_hot: torch.Tensor) -> torch.Tensor:
        """The embedding followed by the stem convolution, computed as one 5-channel convolution.

        conv(embed(x)) = conv'(one_hot(x)) with conv' weights W'[o, c, k] = sum_i W[o, i, k] E[c, i]:
        the same result and gradients as embedding then convolving, with d_model/5 times fewer
        FLOPs (the stem was a quarter of the model's FLOPs at the seed's shapes).
        one_hot (B, W, 5) -> (B, d_model, W).
        """
        weight = torch.einsum("oik,ci->ock", self.stem_conv.weight, self.seq_embedding.weight)
        return F.conv1d(one_hot.transpose(1, 2), weight, self.stem_conv.bias, padding="same")

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        """seq (B, W) codes -> tokens (B, W // stem_pool, d_model)."""
        x = self.stem(self.embed_and_convolve(self.seq_input(seq))).transpose(1, 2)  # (B, L, d)
        x = x + sinusoidal_encoding(x.shape[1], x.shape[2], device=x.device, dtype=x.dtype)
        return self.encoder(self.dropout(x))
