"""Cross-modal fusion: sequence tokens attend to histone bin tokens."""

from __future__ import annotations

import torch
from torch import nn


class MultiModalFusion(nn.Module):
    """Project both modalities to ``dim``; sequence queries, histone keys/values.

    out = LayerNorm(q + MultiheadAttention(q, k=v=histone)), q = Linear(d_seq, dim)(seq).
    No key padding mask: missingness is already an input feature of the histone tokens,
    so a sample whose bins are all masked still gets finite attention (no NaN).

    Input:  seq (B, L, d_seq), hist (B, NB, d_hist).
    Output: fused (B, L, dim) and, when ``return_attention``, the per-head attention
    weights (B, heads, L, NB) (rows sum to 1 in eval mode; in train mode they include
    attention dropout), else None.
    """

    def __init__(self, d_seq: int, d_hist: int, dim: int, n_heads: int, dropout: float):
        super().__init__()
        self.seq_proj = nn.Linear(d_seq, dim)
        self.hist_proj = nn.Linear(d_hist, dim)
        self.attention = nn.MultiheadAttention(dim, n_heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(dim)

    def forward(
        self, seq: torch.Tensor, hist: torch.Tensor, return_attention: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """seq (B, L, d_seq), hist (B, NB, d_hist) -> ((B, L, dim), (B, heads, L, NB) or None)."""
        q = self.seq_proj(seq)
        kv = self.hist_proj(hist)
        attended, weights = self.attention(
            q, kv, kv, need_weights=return_attention, average_attn_weights=False
        )
        return self.norm(q + attended), weights
