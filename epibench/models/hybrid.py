"""HybridModel, the new model ("hybrid" in config and tables): CNN stem + transformer, cross-modal fusion, region heads."""

from __future__ import annotations

import torch
from torch import nn

from epibench.codes import NEIGHBOUR_FEATURES
from epibench.model_settings import HYBRID_DEFAULTS
from epibench.models.base import MethylationModel
from epibench.models.fusion import MultiModalFusion
from epibench.models.heads import RegionHeads
from epibench.models.histone import HistoneEncoder
from epibench.models.sequence import SequenceTransformer


def centre_tokens(window: int, stem_pool: int) -> tuple[int, int]:
    """First and last token (inclusive) holding the CpG at window indices W//2-1 and W//2.

    W=1000, stem_pool=4 -> (124, 125): the C (index 499) is in token 124, the G (500) in 125.
    stem_pool=1 -> (499, 500). Both indices are equal when C and G pool into one token.
    """
    return (window // 2 - 1) // stem_pool, (window // 2) // stem_pool


def local_tokens(window: int, stem_pool: int, readout_bp: int) -> tuple[int, int]:
    """First and last token (inclusive) of the local readout: the centre token(s) and
    ``readout_bp // stem_pool`` tokens on each side, clipped to the window."""
    first, last = centre_tokens(window, stem_pool)
    radius = readout_bp // stem_pool
    return max(first - radius, 0), min(last + radius, window // stem_pool - 1)


class LocalReadout(nn.Module):
    """Position-aware summary of the tokens around the CpG.

    Each token of the local window is projected to ``local_dim``; the window is flattened and
    mapped to ``out_dim``, so every offset from the CpG has its own weights ("a motif within
    50 bp protects" is one linear feature here, whereas attention pooling has to learn it).
    Input (B, L, dim) tokens -> (B, out_dim).
    """

    def __init__(self, span: tuple[int, int], dim: int, local_dim: int, out_dim: int):
        super().__init__()
        self.first, self.last = span
        self.proj = nn.Linear(dim, local_dim)
        self.out = nn.Linear((self.last - self.first + 1) * local_dim, out_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(self.proj(tokens[:, self.first : self.last + 1]).flatten(1))


class HybridModel(MethylationModel):
    """Sequence transformer -> fusion with histone bin tokens -> CpG readout -> region heads.

    Readout: the mean of the fused centre token(s) (``centre_tokens``: those holding the C
    and the G of the CpG), the mean over all fused tokens and a ``LocalReadout`` of the fused
    tokens within ``readout_bp`` of the CpG, concatenated: (B, 3*fusion_dim).

    With ``histone_readout: true`` (and marks), a linear readout of all histone bin tokens
    (flattened, one weight set per bin) joins the readout: the direct path from the marks that the
    CNN and the forests have, beside the fusion's attention: (B, 4*fusion_dim).

    With the neighbour context (``neighbours: true``, n_context = 2K tokens, epibench.data.neighbours)
    the neighbours are one more token stream: each token (level, log10 coverage, log10 distance and
    its mask) is embedded like a histone bin (``HistoneEncoder``, a learned embedding per slot) and
    joins the histone tokens as keys and values of the fusion; a linear readout of all neighbour
    tokens (flattened, one weight set per slot) joins the readout (one more fusion_dim).

    With n_marks 0 (a cohort without marks or other channels) there is no histone encoder, and
    without neighbours either no fusion: the readout reads the sequence tokens themselves,
    (B, 3*d_model). Without marks the model has no attention (``has_attention`` False).

    forward(seq (B, W) int64, hist (B, M, NB) float, hist_mask (B, M, NB) bool, region (B,) int64,
    nbr (B, 2K, 3) float or None, nbr_mask (B, 2K) bool or None) -> {"level": (B,) in [0, 1],
    "logit": (B,), and with return_attention=True "attention": (B, fusion_heads, W // stem_pool, NB),
    the weights on the histone bins (with neighbours, the rest of each row's weight is on them)}.
    """

    arch = "hybrid"
    defaults = HYBRID_DEFAULTS

    def __init__(
        self,
        n_marks: int,
        n_bins: int,
        window: int,
        d_model: int,
        n_heads: int,
        ff_dim: int,
        n_layers: int,
        stem_pool: int,
        stem_kernel: int,
        hist_dim: int,
        fusion_dim: int,
        fusion_heads: int,
        head_hidden: int,
        readout_bp: int,
        local_dim: int,
        dropout: float,
        norm: str,
        histone_readout: bool,
        neighbours: bool,
        n_context: int = 0,
    ):
        super().__init__(n_marks, n_bins, window, n_context)
        if window // stem_pool < 1:
            raise ValueError(f"window {window} is shorter than stem_pool {stem_pool}")
        self.centre = centre_tokens(window, stem_pool)
        self.sequence = SequenceTransformer(
            d_model, n_heads, ff_dim, n_layers, stem_pool, stem_kernel, dropout, norm
        )
        # the histone encoder exists only with input channels, the fusion with them or neighbours
        self.has_attention = n_marks > 0
        if self.has_attention:
            self.histone = HistoneEncoder(n_marks, n_bins, hist_dim)
        if n_context:
            self.neighbour = HistoneEncoder(len(NEIGHBOUR_FEATURES), n_context, hist_dim)
        self.has_fusion = self.has_attention or n_context > 0
        if self.has_fusion:
            self.fusion = MultiModalFusion(d_model, hist_dim, fusion_dim, fusion_heads, dropout)
        token_dim = fusion_dim if self.has_fusion else d_model
        self.local = LocalReadout(
            local_tokens(window, stem_pool, readout_bp), token_dim, local_dim, token_dim
        )
        self.reads_histone = histone_readout and self.has_attention
        if self.reads_histone:
            self.histone_readout = nn.Linear(n_bins * hist_dim, token_dim)
        if n_context:
            self.neighbour_readout = nn.Linear(n_context * hist_dim, token_dim)
        n_readouts = 3 + self.reads_histone + (n_context > 0)
        self.heads = RegionHeads(n_readouts * token_dim, head_hidden, dropout)

    @property
    def seq_embedding(self) -> nn.Embedding:
        """The nn.Embedding(5, d_model) of ACGTN codes."""
        return self.sequence.seq_embedding

    @property
    def seq_input(self) -> nn.Module:
        """The one-hot input layer (captum attributes through its output)."""
        return self.sequence.seq_input

    def forward(
        self,
        seq: torch.Tensor,
        hist: torch.Tensor,
        hist_mask: torch.Tensor,
        region: torch.Tensor,
        nbr: torch.Tensor | None = None,
        nbr_mask: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> dict[str, torch.Tensor]:
        self.check_batch(seq, return_attention, nbr)
        fused = self.sequence(seq)  # (B, L, d_model)
        streams = [self.histone(hist, hist_mask)] if self.has_attention else []
        if self.n_context:  # (B, 2K, 3) -> the encoder's (B, 3, 2K) layout, one mask per token
            mask = nbr_mask[:, None, :].expand(-1, nbr.shape[-1], -1)
            neighbours = self.neighbour(nbr.transpose(1, 2), mask)  # (B, 2K, hist_dim)
            streams.append(neighbours)
        if self.has_fusion:
            fused, attention = self.fusion(fused, torch.cat(streams, dim=1), return_attention)
        first, last = self.centre
        readouts = [fused[:, first : last + 1].mean(1), fused.mean(1), self.local(fused)]
        if self.reads_histone:
            readouts.append(self.histone_readout(streams[0].flatten(1)))
        if self.n_context:
            readouts.append(self.neighbour_readout(neighbours.flatten(1)))
        out = self.heads(torch.cat(readouts, dim=1), region).float()  # (B, 2)
        result = {"level": torch.sigmoid(out[:, 0]), "logit": out[:, 1]}
        if return_attention:
            result["attention"] = attention[..., : self.n_bins]
        return result
