"""Read a YAML file with limits, so hostile or broken input gets one clear message.

Every YAML file leptomarket reads (indication packages, scenarios, levers,
sources, classification rules) goes through :func:`load_yaml`, which refuses,
before building any Python object:

* a path that is not a regular file (a folder named ``*.yaml``) or larger
  than :data:`MAX_FILE_BYTES`;
* bytes that are not UTF-8 (the message gives the byte offset);
* nesting deeper than :data:`MAX_DEPTH` (plain PyYAML recurses and dies with
  ``RecursionError`` near 1,000 levels);
* more than :data:`MAX_ALIASES` aliases, or aliases that expand the document
  to more than :data:`MAX_EXPANDED_NODES` nodes (the "billion laughs" anchor
  bomb, which otherwise takes minutes and gigabytes downstream);
* integers longer than :data:`MAX_INT_DIGITS` digits (Python refuses to parse
  integers over 4,300 digits);
* a mapping that names the same key twice (PyYAML keeps the last silently).

Limits are checked on the event stream (PyYAML's parser is iterative), so no
check itself can recurse or allocate the expanded document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from leptomarket.errors import InputError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 1_000_000
MAX_INT_DIGITS = 100

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _where(mark: Any) -> str | None:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None


class _LimitedLoader(_Loader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate keys and oversized integers."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise _RefusedError(
                key_node.start_mark, "a mapping key must be a plain value"
            ) from None
        if key in mapping:
            raise _RefusedError(key_node.start_mark, f"duplicate key '{key}' (each key once)")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise _RefusedError(
            node.start_mark, f"an integer of {digits} digits is too large (limit {MAX_INT_DIGITS})"
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _RefusedError(Exception):
    """A limit was hit at a position in the file."""

    def __init__(self, mark: Any, reason: str) -> None:
        super().__init__(reason)
        self.mark = mark
        self.reason = reason


def check_events(text: str) -> None:
    """Walk the YAML event stream and refuse deep nesting and alias bombs.

    Tracks the expanded size (nodes) of every anchored node, so an alias
    counts as the whole subtree it stands for.
    """
    depth = 0
    aliases = 0
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, expanded size so far]
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _RefusedError(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, size = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
            grown = size
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            grown = 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _RefusedError(event.start_mark, f"more than {MAX_ALIASES} aliases")
            grown = sizes.get(event.anchor, 1)
        else:
            continue
        if stack:
            stack[-1][1] += grown
        else:
            total += grown
        if total + sum(s for _, s in stack) > MAX_EXPANDED_NODES:
            raise _RefusedError(
                event.start_mark,
                f"aliases expand the document beyond {MAX_EXPANDED_NODES:,} nodes (anchor bomb)",
            )


def parse_yaml_text(text: str, path: str | Path | None = None) -> Any:
    """Parse YAML text under the limits above; problems become an InputError."""
    try:
        check_events(text)
        return yaml.load(text, Loader=_LimitedLoader)
    except _RefusedError as exc:
        raise InputError(path, _where(exc.mark), f"invalid YAML: {exc.reason}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, _where(mark), f"invalid YAML: {problem}") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError(path, None, f"invalid YAML: {exc}") from None


def load_yaml(path: str | Path) -> Any:
    """Read and parse one YAML file with the size, encoding and structure limits."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(path, None, "is a folder, not a YAML file")
        if not path.exists():
            raise InputError(path, None, "no such file")
        if not path.is_file():
            raise InputError(path, None, "is not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                path,
                None,
                f"file is {size:,} bytes; YAML files are limited to {MAX_FILE_BYTES:,} bytes",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"byte {exc.start}", "not UTF-8 text (save the file as UTF-8)"
        ) from None
    return parse_yaml_text(text, path)
