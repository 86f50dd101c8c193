"""Errors the user can act on, carried as a message key and its values.

The engine speaks no UI language: `EngineError("{name} must be in {range}", name="steps", range="1..1000")` keeps
its key (the English template, the same convention as the UI's catalog, where a short text is its own key) and
its values apart. str() is the English the CLI prints; a UI looks the key up in its own catalog and fills the
values in the reader's language (ui/i18n: `engine_message`). tests/test_engine_errors.py reads every raise in
generators/ and checks that each key is a constant with a Chinese entry taking the same values.
"""
from __future__ import annotations


class EngineError(ValueError):
    """A message for the user: `key` (an English template with {placeholders}) and `values` that fill it."""

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values
        super().__init__(key.format(**values))

    def __reduce__(self):      # across processes (a ZeroGPU call's worker): the key and values, not the English
        return _rebuild, (type(self), self.key, self.values)


class CheckpointError(EngineError):
    """A checkpoint file or name that cannot be loaded (bad header, unknown field, wrong family …)."""


def _rebuild(cls, key, values):
    return cls(key, **values)
