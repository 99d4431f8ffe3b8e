"""One exception type for bad input, so every stage reports *where* the problem is."""


class InputError(ValueError):
    """Malformed input: the message names the file, the line (when there is one) and the problem."""

    def __init__(self, path, problem, line=None):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class SettingsError(ValueError):
    """A stage's settings that make no sense (an unknown key, a value out of range): the message names the key."""
