"""The model registry: names -> (config dataclass, module class). Typed configs, never eval."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from poseapp.core.skeleton import PRESETS
from poseapp.core.typed_fields import check_field_types

_REGISTRY: dict[str, tuple[type, type]] = {}


def register(name: str, config_cls: type) -> Callable[[type], type]:
    def wrap(model_cls: type) -> type:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = (config_cls, model_cls)
        model_cls.registry_name = name
        return model_cls

    return wrap


def available_models() -> list[str]:
    """Registered architectures and their variants, e.g. 'recurrent', 'recurrent-lite'."""
    names = []
    for name, (config_cls, _) in _REGISTRY.items():
        names.append(name)
        names.extend(f"{name}-{v}" for v in config_cls.VARIANTS if v != "full")
    return names


def resolve(name: str) -> tuple[str, str]:
    """'recurrent-lite' -> ('recurrent', 'lite'); a bare name is the full configuration."""
    if name in _REGISTRY:
        return name, "full"
    base, _, variant = name.rpartition("-")
    if base in _REGISTRY and variant in _REGISTRY[base][0].VARIANTS:
        return base, variant
    raise KeyError(f"unknown model {name!r}; available: {', '.join(available_models())}")


def model_class(name: str) -> type:
    """The module class behind a registered name ('recurrent-lite' -> RecurrentPoseNet), without building one."""
    return _REGISTRY[resolve(name)[0]][1]


def make_config(name: str, **overrides: Any):
    base, variant = resolve(name)
    return override_config(_REGISTRY[base][0].variant(variant), **overrides)


def override_config(config: Any, **overrides: Any):
    """``config`` with some fields replaced (JSON lists become tuples); unknown fields raise."""
    if not overrides:
        return config
    known = {f.name for f in dataclasses.fields(config)}
    unknown = set(overrides) - known
    if unknown:
        raise KeyError(f"{_name_of(config)} config has no field(s) {sorted(unknown)}; known: {sorted(known)}")
    return dataclasses.replace(config, **{k: _tupled(v) for k, v in overrides.items()})


def build_model(name_or_config: Any, **overrides: Any):
    """A model from a registered name ('recurrent-lite') or a config instance."""
    if isinstance(name_or_config, str):
        config = make_config(name_or_config, **overrides)
    else:
        config = dataclasses.replace(name_or_config, **overrides) if overrides else name_or_config
    for config_cls, model_cls in _REGISTRY.values():
        if type(config) is config_cls:
            return model_cls(config)
    raise TypeError(f"no registered model takes a {type(config).__name__}")


def config_to_dict(config: Any) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    return {"architecture": _name_of(config), **_jsonable(data)}


def config_from_dict(data: dict[str, Any]):
    data = dict(data)
    arch = data.pop("architecture", None)
    if arch not in _REGISTRY:
        raise KeyError(f"unknown architecture {arch!r}; available: {', '.join(_REGISTRY)}")
    config_cls = _REGISTRY[arch][0]
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise KeyError(f"{arch} config has no field(s) {sorted(unknown)}")
    return config_cls(**{k: _tupled(v) for k, v in data.items()})


def _name_of(config: Any) -> str:
    for name, (config_cls, _) in _REGISTRY.items():
        if type(config) is config_cls:
            return name
    raise TypeError(f"{type(config).__name__} is not a registered config")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _tupled(value: Any) -> Any:
    # JSON has only lists; configs are frozen dataclasses of tuples (a dict, skeleton_data, as it is).
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


@dataclass(frozen=True)
class BaseConfig:
    """Fields every architecture shares."""

    VARIANTS = ("full", "lite")

    skeleton: str = "lsp14"
    num_joints: int = 14
    input_size: int = 128  # square crops, pixels
    # A skeleton that is no preset (a SLEAP fly, a DeepLabCut mouse): the whole of it, as
    # Skeleton.to_dict gives it (joints, edges, flip pairs, sigmas, groups), kept in the card
    skeleton_data: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        check_field_types(self)  # every architecture's fields, from their annotations
        known = PRESETS.get(self.skeleton)
        if self.skeleton_data is not None:
            from poseapp.core.skeleton import Skeleton

            known = Skeleton.from_dict(self.skeleton_data)  # raises for a malformed one
            if known.name != self.skeleton:
                raise ValueError(f"skeleton_data describes {known.name!r}, not {self.skeleton!r}")
        elif known is None:
            raise ValueError(f"skeleton {self.skeleton!r} is no preset ({', '.join(PRESETS)}): give its skeleton_data")
        if known.num_joints != self.num_joints:
            raise ValueError(f"num_joints is {self.num_joints} but the {self.skeleton} skeleton has {known.num_joints} joints")

    @classmethod
    def variant(cls, name: str):
        if name not in cls.VARIANTS:
            raise KeyError(f"{cls.__name__} has no {name!r} variant ({', '.join(cls.VARIANTS)})")
        return getattr(cls, name)()
