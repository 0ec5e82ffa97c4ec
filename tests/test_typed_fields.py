"""Every field of every config is type-checked from its annotation (core/typed_fields.py): a JSON
config with a value of the wrong type is refused with the field's name, for each architecture's
model config, the training config and the augmentation config alike."""

import dataclasses
import typing

import pytest

from poseapp.core.errors import DataError
from poseapp.core.typed_fields import describe, matches
from poseapp.data.augment import AugmentConfig
from poseapp.engine.train_config import TrainConfig
from poseapp.models.registry import _REGISTRY, make_config


def _wrong_value(annotation):
    """A JSON value that is not of the annotated type."""
    if annotation is str or annotation == (str | None):
        return 5
    if annotation is bool:
        return "yes"
    if typing.get_origin(annotation) is dict:
        return [1]
    return "x"  # numbers, lists (tuples) and optional numbers


def _fields(cls):
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


MODEL_FIELDS = [(arch, name, ann) for arch, (cls, _model) in sorted(_REGISTRY.items()) for name, ann in _fields(cls)]


@pytest.mark.parametrize("arch,name,annotation", MODEL_FIELDS, ids=[f"{a}.{n}" for a, n, _ in MODEL_FIELDS])
def test_every_model_config_field_refuses_a_value_of_the_wrong_type(arch, name, annotation):
    value = _wrong_value(annotation)
    with pytest.raises(ValueError, match=f"^{name} must be"):
        make_config(f"{arch}-lite", **{name: value})
    # and from a training config file, with the option named
    with pytest.raises(DataError, match=f"model_overrides: {name} must be"):
        TrainConfig.from_dict({"model": f"{arch}-lite", "data": ["lsp:x"], "model_overrides": {name: value}}, source="run.json")


TRAIN_FIELDS = [(n, a) for n, a in _fields(TrainConfig) if n != "model"]


@pytest.mark.parametrize("name,annotation", TRAIN_FIELDS, ids=[n for n, _ in TRAIN_FIELDS])
def test_every_training_option_refuses_a_value_of_the_wrong_type(name, annotation):
    with pytest.raises(DataError, match=f"run.json: {name} must be"):
        TrainConfig.from_dict({"model": "recurrent-lite", "data": ["lsp:x"], name: _wrong_value(annotation)}, source="run.json")


@pytest.mark.parametrize("name,annotation", _fields(AugmentConfig), ids=[n for n, _ in _fields(AugmentConfig)])
def test_every_augmentation_option_refuses_a_value_of_the_wrong_type(name, annotation):
    with pytest.raises(DataError, match=f"augment: {name} must be"):
        TrainConfig.from_dict({"model": "recurrent-lite", "data": ["lsp:x"], "augment": {name: _wrong_value(annotation)}}, source="run.json")


def test_a_data_source_given_as_text_instead_of_a_list_is_refused_not_split_into_letters():
    with pytest.raises(DataError, match="data must be a list of texts, not 'lsp:x'"):
        TrainConfig.from_dict({"model": "recurrent-lite", "data": "lsp:x"})
    assert TrainConfig.from_dict({"model": "recurrent-lite", "data": ["lsp:x"]}).data == ("lsp:x",)


def test_augmentation_ranges_are_checked():
    for bad in ({"scale": [1.3, 0.7]}, {"rotation": -5}, {"padding": 0}):
        with pytest.raises(DataError, match="augment: "):
            TrainConfig.from_dict({"model": "recurrent-lite", "data": ["lsp:x"], "augment": bad})
    with pytest.raises(DataError, match=r"augment: unknown option\(s\) \['rotaton'\]"):
        TrainConfig.from_dict({"model": "recurrent-lite", "data": ["lsp:x"], "augment": {"rotaton": 30}})


def test_matches_and_describe():
    assert matches(1, float) and not matches(True, float) and not matches(True, int) and matches(None, int | None)
    assert matches((1, 2), tuple[int, ...]) and not matches((1, "a"), tuple[int, ...]) and not matches([1], tuple[int, ...])
    assert matches(((3, 64), (5, 32)), tuple[tuple[int, int], ...]) and not matches(((3,),), tuple[tuple[int, int], ...])
    assert matches({"a": 1}, dict[str, typing.Any]) and not matches({1: 1}, dict[str, typing.Any])
    assert describe(float | None) == "a number or null" and describe(tuple[str, ...]) == "a list of texts"
    assert describe(tuple[int, int]) == "a list of 2 items (a whole number, a whole number)"
