"""Typed JSON artefacts: what one layer writes and another reads, parsed, never indexed by string.

Each artefact is a frozen pydantic model declared beside its file name in the lowest layer that
writes it. Writers build the model and save it with ``write_artefact``; readers call
``read_artefact``, which refuses an old or hand-edited file with the file and the field that is
wrong, before any later step can trip over a missing key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from whitelist.core.errors import InputDataError
from whitelist.core.io import write_json

A = TypeVar("A", bound="Artefact")


class Artefact(BaseModel):
    """Base of every typed artefact: unknown fields are errors, parsed artefacts are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_artefact(model: type[A], data: object, source: str) -> A:
    """``data`` as ``model``; an error names ``source``, each wrong field and what was expected."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise InputDataError(
            f"{source}: not a {model.__name__} this version of whitelist reads: {problems}{more}; "
            "it was written by another version or edited by hand, so write it again with this version"
        ) from None


def read_json(path: Path) -> object:
    """The JSON in ``path``; a missing or unreadable file is an input error naming it."""
    if not path.is_file():
        raise InputDataError(f"{path}: missing; it is written with the folder it belongs to, never alone")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputDataError(f"{path}: not readable JSON ({exc}); write the folder again") from None


def read_artefact(model: type[A], path: Path) -> A:
    """Read and parse ``path``; a missing, unreadable or foreign file is an input error naming it."""
    return parse_artefact(model, read_json(path), str(path))


def write_artefact(path: Path, artefact: Artefact) -> Path:
    """Write ``artefact`` as JSON: atomically, keys sorted (``write_json``), so equal content is equal bytes."""
    return write_json(path, artefact.model_dump(mode="json"))
