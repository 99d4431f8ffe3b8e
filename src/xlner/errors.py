"""The exceptions that mean bad input, so every stage reports *where* the problem is (exit code 2)."""

# The longest piece of offending content an error message quotes: a 10 MB line is never echoed whole.
QUOTE_LIMIT = 200


def quote(value, limit=QUOTE_LIMIT):
    """repr() of a value, cut to `limit` characters with the length said."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


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


class ConfigError(ValueError):
    """A configuration that cannot run: the message names the key (and the file and line where known)."""
