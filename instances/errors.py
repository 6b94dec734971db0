"""Input problems, reported as ``path: message`` lines a user can act on."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in an instance: where it is (a JSON path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return one_line(text)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped: an error is
    always printed as exactly one line, whatever a key or a value holds."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class InputError(Exception):
    """The instance (or a command-line value) is malformed.

    ``issues`` holds every problem found; ``str(error)`` is the first one, a single
    line naming the field, the value and the rule.
    """

    def __init__(self, issues: list[Issue] | Issue | str):
        if isinstance(issues, str):
            issues = [Issue("", issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        super().__init__(str(self.issues[0]) if self.issues else "invalid input")

    def lines(self) -> list[str]:
        return [str(i) for i in self.issues]


def closest(word: str, options) -> str:
    """`` (did you mean "x"?)`` for the nearest known key, or ``""``."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f' (did you mean "{match[0]}"?)' if match else ""
