"""Errors a user can act on."""


class InputError(ValueError):
    """Bad user input. The message names the file, the line (1-based) where it applies, and what was wrong."""

    def __init__(self, message: str, path: object = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


EXCERPT_CHARS = 200  # of a line quoted in an error message


def excerpt(text: str) -> str:
    """``text`` quoted for an error message (``repr``), cut after ``EXCERPT_CHARS`` characters with
    its length said: a binary file or one without line ends is one line of megabytes."""
    if len(text) <= EXCERPT_CHARS:
        return repr(text)
    return f"{text[:EXCERPT_CHARS]!r}... ({len(text):,} characters)"
