"""Methylation calls in the formats users bring -> the canonical CpG table (see ``ingest``)."""

from epibench.io.methylation.detect import FORMATS, detect_source
from epibench.io.methylation.ingest import CANONICAL_COLUMNS, ingest, write_canonical

__all__ = ["CANONICAL_COLUMNS", "FORMATS", "detect_source", "ingest", "write_canonical"]
