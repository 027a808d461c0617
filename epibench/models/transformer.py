"""Pre-norm transformer encoder whose self-attention is one ``scaled_dot_product_attention`` call.

The block computes what ``nn.TransformerEncoderLayer(norm_first=True, activation="gelu",
batch_first=True)`` computes (tests/test_models_transformer.py checks it against that module with the
same weights), written out so that:

- attention is always ``F.scaled_dot_product_attention`` on (B, heads, L, head_dim), so on CUDA the
  flash kernel takes it (bf16, head_dim <= 256) in training too, with no ``need_weights`` path, no
  packing checks and no host synchronisation (CUDA-graph safe);
- the norm is a choice: ``"layernorm"`` (the seed's) or ``"rmsnorm"`` (no mean, no bias: one
  reduction fewer per norm, forward and backward).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

NORMS = ("layernorm", "rmsnorm")


def make_norm(kind: str, dim: int) -> nn.Module:
    """``nn.LayerNorm(dim)`` or ``nn.RMSNorm(dim)`` (eps 1e-5 both); ValueError for another kind."""
    if kind == "layernorm":
        return nn.LayerNorm(dim)
    if kind == "rmsnorm":
        return nn.RMSNorm(dim, eps=1e-5)
    raise ValueError(f"unknown norm {kind!r}; choose one of {list(NORMS)}")


class SelfAttention(nn.Module):
    """Multi-head self-attention: one fused QKV projection, SDPA, an output projection.

    Initialised as ``nn.MultiheadAttention``, drawing from the RNG in its order (the output projection's
    default init, then Xavier-uniform QKV weight; zero biases), so a seed gives the same weights.
    x (B, L, dim) -> (B, L, dim); attention dropout ``dropout`` in training mode only.
    """

    def __init__(self, dim: int, n_heads: int, dropout: float):
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"d_model {dim} is not a multiple of n_heads {n_heads}")
        self.n_heads = n_heads
        self.dropout = dropout
        self.qkv = nn.utils.skip_init(nn.Linear, dim, 3 * dim)  # initialised below, as MHA does
        self.out = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.qkv.weight)
        nn.init.zeros_(self.qkv.bias)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        # (B, L, 3*dim) -> 3 x (B, heads, L, head_dim)
        q, k, v = self.qkv(x).view(batch, length, 3, self.n_heads, dim // self.n_heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        return self.out(attended.transpose(1, 2).reshape(batch, length, dim))


class EncoderBlock(nn.Module):
    """x + Dropout(SelfAttention(Norm(x))), then x + Dropout(FF(Norm(x))), FF = Linear, GELU,
    Dropout, Linear (dim -> ff_dim -> dim). x (B, L, dim) -> (B, L, dim)."""

    def __init__(self, dim: int, n_heads: int, ff_dim: int, dropout: float, norm: str):
        super().__init__()
        self.norm1 = make_norm(norm, dim)
        self.attention = SelfAttention(dim, n_heads, dropout)
        self.norm2 = make_norm(norm, dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, ff_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_dim, dim)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x)))
        return x + self.dropout(self.ff(self.norm2(x)))


class Encoder(nn.Module):
    """``n_layers`` EncoderBlocks and a final norm. x (B, L, dim) -> (B, L, dim).

    As in ``nn.TransformerEncoder``, the layers start as copies of one initialised block: with the
    same seed the encoder starts from the weights the seed's ``nn.TransformerEncoder`` had.
    """

    def __init__(self, dim: int, n_heads: int, ff_dim: int, n_layers: int, dropout: float, norm: str):
        super().__init__()
        block = EncoderBlock(dim, n_heads, ff_dim, dropout, norm)
        self.layers = nn.ModuleList(copy.deepcopy(block) for _ in range(n_layers))
        self.norm = make_norm(norm, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)
