"""File formats in and out: methylation calls, reference, regions, atomic writes (no torch)."""
