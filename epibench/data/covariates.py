"""Sample covariates (condition, purity, ...) as numbers the model reads beside the marks.

A covariate column of the sample sheet is numeric when every value given in the cohort
parses as a number (purity 0.6): one feature, the value. Otherwise it is categorical
(condition tumour/normal): one 0/1 feature per level of the cohort, named ``column=level``.
An empty cell is unknown: its features are None (missing to the model, never 0). A value
that reads as a number but is not finite (``inf``, ``nan``, ``1e999``) is an InputError: the
model cannot take it, and an unknown value is an empty cell.
"""

from __future__ import annotations

import math

from epibench.covariate_numbers import as_number, is_numeric
from epibench.errors import InputError


def encode_covariates(spec: dict[str, dict]) -> dict[str, float | None]:
    """One sample's covariate features.

    spec: column -> {"value": this sample's cell ("" = unknown), "levels": every non-empty value
    of the column in the cohort}. Returns feature name -> number or None, columns in order.
    """
    features: dict[str, float | None] = {}
    for column, entry in spec.items():
        value, levels = str(entry["value"]).strip(), [str(v).strip() for v in entry["levels"]]
        if value and value not in levels:
            raise InputError(f"covariate {column}: value {value!r} is not among the cohort's {levels}")
        for level in levels:
            number = as_number(level)
            if number is not None and not math.isfinite(number):
                raise InputError(
                    f"covariate {column}: value {level!r} is not a finite number "
                    "(leave the cell empty when unknown)"
                )
        if is_numeric(levels):
            features[column] = as_number(value) if value else None
            continue
        for level in sorted(set(levels)):
            features[f"{column}={level}"] = (1.0 if value == level else 0.0) if value else None
    return features
