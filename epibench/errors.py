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
