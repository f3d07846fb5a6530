"""Typed configuration: pydantic models that reject typos, loaded from YAML with line numbers.

Risk teams edit YAML by hand, so a wrong key or value must fail with the file, the line,
the key and what was expected, not with a traceback from deep inside a later stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from whitelist.core.errors import ConfigError

M = TypeVar("M", bound="StrictModel")


class StrictModel(BaseModel):
    """Base of every config: unknown keys are errors and loaded configs are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return _LinedDict(mapping, lines)


class _LinedDict(dict):  # type: ignore[type-arg]
    def __init__(self, data: dict[str, Any], lines: dict[str, int]) -> None:
        super().__init__(data)
        self.lines = lines


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text, so pydantic parses them and a bad one is reported with its key and line.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path | str) -> Any:
    """Parse a YAML file, turning syntax errors into ``ConfigError`` with the line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file; check the path or copy one from configs/")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc}") from exc


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    line = None
    node = data
    for part in loc:
        if isinstance(node, _LinedDict) and str(part) in node.lines:
            line = node.lines[str(part)]
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return line


def parse_config(model: type[M], data: Any, source: str = "<config>") -> M:
    """Validate ``data`` against ``model``; errors name the source, line, key and expectation."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(data, loc)
            where = f"{source}:{line}" if line else source
            if err["type"] == "extra_forbidden":
                allowed = ", ".join(_allowed_keys(model, loc[:-1]))
                problems.append(f"{where}: unknown key {key!r}; expected one of: {allowed}")
            else:
                problems.append(
                    f"{where}: {key}: {err['msg']} (got {err.get('input')!r})"
                )
        more = len(exc.errors()) - 5
        if more > 0:
            problems.append(f"... and {more} more problems")
        raise ConfigError("\n".join(problems)) from exc


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):  # an item of a list or tuple of models
            args = [a for a in get_args(current) if a is not Ellipsis]
            current = args[0] if args else None
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or str(part) not in fields:
            return []
        current = fields[str(part)].annotation
    fields = getattr(current, "model_fields", {})
    return sorted(fields)


def load_config(model: type[M], path: Path | str) -> M:
    """Load and validate one YAML config file."""
    return parse_config(model, load_yaml(path), source=str(path))
