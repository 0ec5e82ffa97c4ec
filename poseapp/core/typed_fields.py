"""Type checks for the fields of a config dataclass, read from its annotations.

Configs come from JSON files people write by hand. A field of the wrong type ("sigma": "x", or
"data": "lsp:..." where a list belongs) must be refused by name when the config is made, not met
later as a traceback deep inside training. Range and choice checks stay with each config; this
module only answers "is this value of the annotated type?"."""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Union, get_args, get_origin, get_type_hints


def check_field_types(instance: Any) -> None:
    """Raise ValueError naming the first field whose value does not match its annotation."""
    hints = get_type_hints(type(instance))
    for field in dataclasses.fields(instance):
        expected = hints.get(field.name, Any)
        value = getattr(instance, field.name)
        if not matches(value, expected):
            raise ValueError(f"{field.name} must be {describe(expected)}, not {value!r}")


def matches(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is of the annotated type. ints pass for floats (JSON writes 1 for 1.0);
    bools never pass for numbers (True is an int in Python, not in a config)."""
    if annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(matches(value, option) for option in get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is tuple:
        args = get_args(annotation)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(matches(item, args[0]) for item in value)
        return len(value) == len(args) and all(matches(item, arg) for item, arg in zip(value, args))
    if origin is dict:
        key_type, value_type = get_args(annotation) or (Any, Any)
        return isinstance(value, dict) and all(matches(k, key_type) and matches(v, value_type) for k, v in value.items())
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True  # an annotation kind this module does not know is not checked


def describe(annotation: Any) -> str:
    """The annotation in the words of a JSON config: 'a whole number', 'a list of text', ..."""
    if annotation is Any:
        return "anything"
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        text = " or ".join(describe(a) for a in options)
        return f"{text} or null" if len(options) < len(get_args(annotation)) else text
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    if annotation in names:
        return names[annotation]
    if origin is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_plural(args[0])}"
        return f"a list of {len(args)} items ({', '.join(describe(a) for a in args)})"
    if origin is dict:
        return "an object (JSON {...})"
    return getattr(annotation, "__name__", str(annotation))


def _plural(annotation: Any) -> str:
    plural = {bool: "true/false values", int: "whole numbers", float: "numbers", str: "texts"}
    return plural.get(annotation, f"({describe(annotation)})")
