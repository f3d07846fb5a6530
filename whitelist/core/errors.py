"""One error hierarchy for the whole engine.

The CLI catches ``WhitelistError`` at one boundary, prints the message and exits 1, so every
message must say what was expected, what was found and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable


class WhitelistError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(WhitelistError):
    """A configuration file or option is wrong; the message names the file, key and fix."""


class InputDataError(WhitelistError):
    """An input file cannot be used at all (missing, unreadable, a required column absent)."""


class GateFailedError(WhitelistError):
    """A model failed a validation gate and must not be promoted."""


def preview(values: Iterable[object], limit: int = 5) -> str:
    """Quote at most ``limit`` offending values, saying how many more there are."""
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = len(items) - limit
    return f"{shown} (and {more} more)" if more > 0 else shown
