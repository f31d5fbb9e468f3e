"""YAML text to a small tree of nodes that remember their line numbers.

`yaml.safe_load` throws line numbers away, and every configuration error must say
`file:line:`. So the loader composes the node graph (SafeLoader: no arbitrary objects),
constructs only scalars, and keeps mappings as ordered (key node, value node) pairs.
Anchors, aliases and merge keys (`<<: *base`) work; duplicate keys are rejected; recursive
aliases cannot loop because every YAML node is converted once. Only ConfigError escapes.
NodeReader holds the typed reads (mapping with known keys, string, choice, duration) that the
config loader's schema walk is built from.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from tui.engine.config.model import ConfigError
from tui.engine.durations import MAX_DURATION_S, format_duration, parse_duration

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_COLLECTION_TAGS = {yaml.SequenceNode: "tag:yaml.org,2002:seq", yaml.MappingNode: "tag:yaml.org,2002:map"}
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(eq=False)
class YNode:
    """One YAML node: a scalar with its plain value, a list of nodes, or ordered key/value pairs."""

    kind: Literal["scalar", "list", "map"]
    line: int  # 1-based
    value: Any = None  # scalars only: str, int, float, bool, None, date, bytes
    items: list[YNode] = field(default_factory=list)
    pairs: list[tuple[YNode, YNode]] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        """What the user wrote, in words, for `expected X, got Y` messages."""
        if self.kind == "list":
            return "a list"
        if self.kind == "map":
            return "a mapping"
        value = self.value
        if value is None:
            return "an empty value"
        if isinstance(value, bool):
            return "a boolean"
        if isinstance(value, (int, float)):
            return "a number"
        if isinstance(value, str):
            return "a string" if value else "an empty string"
        if isinstance(value, (datetime.date, datetime.datetime)):
            return "a date"
        if isinstance(value, bytes):
            return "binary data"
        return "a value of an unsupported type"


def is_null(node: YNode | None) -> bool:
    """Absent, or present with an empty value (`headers:` with its lines commented out)."""
    return node is None or (node.kind == "scalar" and node.value is None)




def join_path(path: str, key: object) -> str:
    """`parent.key`, or `parent["odd key"]` when the key would be ambiguous in a dotted path."""
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{path}.{text}" if path else text
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}[{quoted}]"


def parse_yaml(text: str, source: str) -> YNode | None:
    """Compose one YAML document into YNodes; None for an empty document (only comments)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_yaml_message(exc), file=source, line=_mark_line(exc)) from None
    except yaml.reader.ReaderError as exc:
        line = text[: max(0, exc.position)].count("\n") + 1
        what = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        raise ConfigError(f"invalid YAML: {what} is not allowed in a text file ({exc.reason})",
                          file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=source) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=source) from None
    if root is None:
        return None
    try:
        return _Converter(source).convert(root, "")
    except RecursionError:
        raise ConfigError("nested too deeply", file=source, line=root.start_mark.line + 1) from None


def _mark_line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "malformed document"
    if exc.context:
        return f"invalid YAML: {problem} ({exc.context})"
    return f"invalid YAML: {problem}"


class _Converter:
    """Turns a composed yaml.Node graph into YNodes, once per node (so aliases share results)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.loader = yaml.SafeLoader("")
        self.memo: dict[int, YNode] = {}

    def convert(self, node: yaml.Node, path: str) -> YNode:
        known = self.memo.get(id(node))
        if known is not None:
            return known
        line = node.start_mark.line + 1
        expected_tag = _COLLECTION_TAGS.get(type(node))
        if expected_tag is not None and node.tag != expected_tag:
            raise ConfigError(f"unsupported YAML tag {node.tag!r}; expected a plain "
                              f"{'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}",
                              file=self.source, line=line, key=path or None)
        if isinstance(node, yaml.SequenceNode):
            result = YNode("list", line)
            self.memo[id(node)] = result
            result.items = [self.convert(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            result = YNode("map", line)
            self.memo[id(node)] = result
            result.pairs = self._pairs(node, path)
        else:
            result = YNode("scalar", line, self._scalar(node, path))
            self.memo[id(node)] = result
        return result

    def _scalar(self, node: yaml.Node, path: str) -> Any:
        """The plain value YAML gives this scalar (ints, floats, bools, null, strings, dates)."""
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - unknown tags, absurd ints, bad dates: all user input
            reason = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
            if node.tag in _NUMBER_TAGS:
                reason = "the number is too large"
            raise ConfigError(f"cannot read this value: {reason}", file=self.source,
                              line=node.start_mark.line + 1, key=path or None) from None

    def _pairs(self, node: yaml.MappingNode, path: str) -> list[tuple[YNode, YNode]]:
        """Explicit pairs (duplicates rejected) plus merged ones that no explicit key overrides."""
        explicit: list[tuple[YNode, YNode]] = []
        merged: list[tuple[YNode, YNode]] = []
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path))
                continue
            key = self.convert(key_node, path)
            ident = _key_identity(key)
            child = join_path(path, key.value) if key.kind == "scalar" else path
            if ident is not None and ident in seen:
                raise ConfigError(
                    f"duplicate key {key.value!r} (first at line {seen[ident]}); a key may appear once",
                    file=self.source, line=key.line, key=child or None)
            if ident is not None:
                seen[ident] = key.line
            explicit.append((key, self.convert(value_node, child)))
        result = list(explicit)
        for key, value in merged:
            ident = _key_identity(key)
            if ident is None or ident not in seen:
                if ident is not None:
                    seen[ident] = key.line
                result.append((key, value))
        return result

    def _merge_sources(self, value_node: yaml.Node, path: str) -> list[tuple[YNode, YNode]]:
        """`<<: *a` or `<<: [*a, *b]`; earlier sources win, as YAML specifies."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        pairs: list[tuple[YNode, YNode]] = []
        for source in sources:
            converted = self.convert(source, path)
            if converted.kind != "map":
                raise ConfigError(f"a merge key (<<) expects a mapping or a list of mappings, "
                                  f"got {converted.type_name}",
                                  file=self.source, line=converted.line, key=path or None)
            pairs.extend(converted.pairs)
        return pairs


def _key_identity(key: YNode) -> tuple[type, object] | None:
    """What makes two keys the same key (type included, so `1` and `true` differ)."""
    if key.kind != "scalar":
        return None
    try:
        hash(key.value)
    except TypeError:
        return None
    return (type(key.value), key.value)


class NodeReader:
    """Typed reads from YNodes that raise ConfigError at the offending node with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, node: YNode | int | None, path: str, message: str) -> ConfigError:
        line = node.line if isinstance(node, YNode) else node
        return ConfigError(message, file=self.source, line=line, key=path or None)

    def mapping(self, node: YNode, path: str, allowed: tuple[str, ...], what: str) -> dict[str, YNode]:
        """A mapping with only `allowed` keys (unknown ones get a did-you-mean)."""
        if node.kind != "map":
            raise self.error(node, path, f"expected {what}, got {node.type_name}")
        result: dict[str, YNode] = {}
        for key, value in node.pairs:
            name = self.key_text(key, path)
            child = join_path(path, name)
            if name not in allowed:
                raise self.error(key, child, self.unknown_key_message(name, allowed))
            result[name] = value
        return result

    def named_entries(self, node: YNode, path: str, what: str, item: str) -> list[tuple[str, YNode, YNode]]:
        """A mapping whose keys are user-chosen names (providers, groups, headers)."""
        if node.kind != "map":
            raise self.error(node, path, f"expected {what}, got {node.type_name}")
        entries = []
        for key, value in node.pairs:
            if key.kind != "scalar" or not isinstance(key.value, str) or not key.value.strip():
                raise self.error(key, path, f"expected {item} (a string) as key, got {key.type_name}")
            entries.append((key.value, key, value))
        return entries

    def key_text(self, key: YNode, path: str) -> str:
        if key.kind == "scalar" and isinstance(key.value, str):
            return key.value
        shown = repr(key.value) if key.kind == "scalar" else key.type_name
        raise self.error(key, path, f"unknown key {shown}; expected a key name "
                         "(a yes/no/on/off key needs quotes)")

    def unknown_key_message(self, name: str, allowed: tuple[str, ...]) -> str:
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            return f"unknown key {name!r}; did you mean {close[0]!r}?"
        return f"unknown key {name!r}; expected one of: {', '.join(allowed)}"

    def string(self, node: YNode, path: str, what: str) -> str:
        if node.kind != "scalar" or not isinstance(node.value, str):
            raise self.error(node, path, f"expected {what}, got {node.type_name}")
        if not node.value.strip():
            raise self.error(node, path, f"expected {what}, got an empty string")
        return node.value

    def choice(self, node: YNode, path: str, options: tuple[str, ...] | list[str], what: str) -> str:
        shown = ", ".join(options)
        if node.kind != "scalar" or not isinstance(node.value, str):
            raise self.error(node, path, f"expected {what} (one of: {shown}), got {node.type_name}")
        if node.value not in options:
            close = difflib.get_close_matches(node.value, list(options), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {shown}"
            raise self.error(node, path, f"unknown {what} {node.value!r}{hint}")
        return node.value

    def duration(self, node: YNode, path: str, *, allow_zero: bool = False) -> float:
        expected = "a duration like 30s, 5m or 1h"
        value = node.value
        if node.kind != "scalar" or value is None or not isinstance(value, (str, int, float)) \
                or isinstance(value, bool):
            raise self.error(node, path, f"expected {expected}, got {node.type_name}")
        try:
            seconds = parse_duration(value)
        except OverflowError:
            seconds = math.inf
        except ValueError as exc:
            raise self.error(node, path, str(exc) or f"expected {expected}") from None
        if not math.isfinite(seconds) or seconds > MAX_DURATION_S:
            raise self.error(node, path, f"expected {expected}, at most 365d")
        if seconds <= 0 and not (allow_zero and seconds == 0):
            floor = "zero or more" if allow_zero else "greater than zero"
            raise self.error(node, path, f"expected a duration {floor}, got {format_duration(seconds)}")
        return seconds
