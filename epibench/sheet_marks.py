"""The sample sheet's mark files judged by their names, as Roadmap and ENCODE name them
(``E004-H3K27ac.fc.signal.bigwig``): a warning, not an error, where a file's name says another mark
than its column's (the mark columns swapped) or a mark's files say different kinds of signal (fold
change beside -log10 p-value). A name that says neither (``ENCFF001AAA.bigWig``) is not judged."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def warn_of_mark_file_names(sheet: pd.DataFrame, marks: list[str], sheet_path: str) -> None:
    """Both warnings (module docstring) of ``sheet`` (indexed by file line, a column per mark of
    ``marks`` holding a path or "")."""
    _warn_of_other_marks(sheet, marks, sheet_path)
    _warn_of_mixed_signal_kinds(sheet, marks, sheet_path)


def _name_words(text: str) -> str:
    """``text`` lower-cased, each run of other characters than letters and digits one ``_``, framed by
    ``_``: ``E004-H3K27ac.pval.signal.bigwig`` -> ``_e004_h3k27ac_pval_signal_bigwig_``."""
    return "_" + "_".join(word for word in re.split(r"[^0-9a-z]+", text.casefold()) if word) + "_"


def _warn_of_other_marks(sheet: pd.DataFrame, marks: list[str], sheet_path: str) -> None:
    """Warn of a mark cell whose file name names another mark of ``marks`` and not its own column's
    (Roadmap's ``E004-H3K27ac.fc.signal.bigwig`` under ``H3K4me3``): the sheet's mark columns swapped
    or their header in another order than its cells, which the models would learn from unsaid."""
    for line, row in zip(sheet.index, sheet.to_dict("records")):
        for column in marks:
            name = _name_words(Path(row[column]).name) if row[column] else ""
            named = [m for m in marks if _name_words(m) in name]
            if named and column not in named:
                log.warning(
                    "%s, line %s: sample %s, column %s holds %s, whose name says %s: are the sheet's mark "
                    "columns swapped, or its header in another order than its cells? Put each track under "
                    "its own mark's column",
                    sheet_path,
                    line,
                    row["sample"],
                    column,
                    Path(row[column]).name,
                    " and ".join(named),
                )


# the kinds of signal track Roadmap and ENCODE name in their files' names (E003-H3K4me3.fc.signal.bigwig)
SIGNAL_KINDS = (
    ("fold change", ("_fc_", "_foldchange_", "_fold_change_")),
    ("-log10 p-value", ("_pval_", "_pvalue_", "_p_value_")),
)


def _warn_of_mixed_signal_kinds(sheet: pd.DataFrame, marks: list[str], sheet_path: str) -> None:
    """Warn of a mark column whose files' names say different kinds of signal (Roadmap's
    ``.fc.signal.bigwig`` for some samples, ``.pval.signal.bigwig`` for others): their scales differ,
    so the models would read a sample's kind of file as its biology."""
    for column in marks:
        kinds: dict[str, str] = {}  # kind -> its first file, as "name (line n)"
        for line, path in zip(sheet.index, sheet[column]):
            name = _name_words(Path(path).name) if path else ""
            for kind, words in SIGNAL_KINDS:
                if any(word in name for word in words):
                    kinds.setdefault(kind, f"{Path(path).name} (line {line})")
        if len(kinds) > 1:
            log.warning(
                "%s: mark %s mixes kinds of signal across samples, %s: their scales differ, and the models "
                "would learn which kind each sample has; give every sample the same kind of track",
                sheet_path,
                column,
                ", ".join(f"{kind} as {first}" for kind, first in kinds.items()),
            )
