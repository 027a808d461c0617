"""Which covariate values of the sample sheet are numbers: the config's checks read them as the
model's encoding does (epibench.data.covariates: a column of numbers is one feature, any other a
category per value)."""

from __future__ import annotations


def as_number(text: str) -> float | None:
    """``text`` as a float, or None when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def is_numeric(values: list[str]) -> bool:
    """A covariate is numeric when it has values and every one is a number."""
    return bool(values) and all(as_number(v) is not None for v in values)
