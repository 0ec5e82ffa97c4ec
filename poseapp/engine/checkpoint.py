"""Model folders: weights in safetensors (loading runs no code) and a JSON model card.

    models/NAME/weights.safetensors   the best weights by validation PCK
    models/NAME/card.json             architecture + config, skeleton, codec, training data and
                                      schedule, time and hardware, measured metrics
    models/NAME/train_state.pt        optimizer, scheduler, epoch, step, RNG: to resume exactly
                                      (tensors and plain values only; read with weights_only=True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save

from poseapp.core.atomic import atomic_open, write_bytes_atomic
from poseapp.core.errors import DataError
from poseapp.core.skeleton import skeleton_of as config_skeleton

# the folder's layout and card reading need no torch: they live in model_folder, which the window imports
from poseapp.engine.model_folder import (  # noqa: F401
    CARD,
    STATE,
    WEIGHTS,
    model_dir,
    read_card,
    skeleton_of,
    write_card,
)
from poseapp.models import build_model, config_from_dict, config_to_dict


def save_weights(model: torch.nn.Module, folder: Path, name: str = WEIGHTS) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    write_bytes_atomic(folder / name, save(tensors))


def make_card(model, name: str, **extra: Any) -> dict[str, Any]:
    from poseapp import __version__
    from poseapp.models import count_parameters

    skeleton = config_skeleton(model.config)
    return {
        "name": name,
        "architecture": model.registry_name,
        "config": config_to_dict(model.config),
        "skeleton": skeleton.to_dict(),
        "input_size": [model.config.input_size, model.config.input_size],
        "codec": model.codec().to_dict(),
        "output_kind": model.output_kind,
        "parameters": count_parameters(model),
        "poseapp_version": __version__,
        **extra,
    }


def widen_from(model: torch.nn.Module, parent: torch.nn.Module) -> list[str]:
    """Load ``parent``'s weights into ``model``, a copy of it with more input channels in some
    layers (e.g. a recurrent module that also reads hints): the new channels' weights start at
    zero, so the widened model computes what the parent did. Returns the widened weights' names."""
    state, widened = widen_state(model.state_dict(), parent.state_dict(), getattr(model, "fresh_weights", ()))
    model.load_state_dict(state)
    return widened


def widen_state(shapes: dict[str, torch.Tensor], parent: dict[str, torch.Tensor],
                fresh: tuple[str, ...] = ()) -> tuple[dict[str, torch.Tensor], list[str]]:
    """``parent``'s tensors in the shapes of ``shapes`` (same names): a tensor with more input
    channels (dimension 1) gets the parent's in its first channels and zeros in the rest. Weights
    the parent lacks whose names start with one of ``fresh`` (new modules that start as built,
    such as identity blocks or a new head) keep the values in ``shapes``."""
    out, widened = {}, []
    for name, old in parent.items():
        new = shapes.get(name)
        if new is None:
            raise ValueError(f"the parent model has a weight {name} this one lacks")
        wider = widen_tensor(old, tuple(new.shape), name)
        widened += [name] if wider is not old else []
        out[name] = wider
    for name in set(shapes) - set(parent):
        if name.startswith(tuple(fresh)):  # (no prefix given: nothing matches)
            out[name] = shapes[name]
            widened.append(name)
    missing = set(shapes) - set(out)
    if missing:
        raise ValueError(f"weights {sorted(missing)} are not in the parent model")
    return out, widened


def widen_tensor(old: torch.Tensor, shape: tuple[int, ...], name: str = "a weight") -> torch.Tensor:
    """``old`` itself when it has ``shape``; else zero-padded along dimension 1 up to it."""
    if tuple(old.shape) == shape:
        return old
    if old.dim() == len(shape) >= 2 and old.shape[0] == shape[0] and tuple(old.shape[2:]) == shape[2:] and shape[1] > old.shape[1]:
        wider = old.new_zeros(shape)
        wider[:, : old.shape[1]] = old
        return wider
    raise ValueError(f"{name} is {tuple(old.shape)} in the parent and {shape} here: only added input channels can be widened")


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file (nothing is unpickled); a DataError naming the file when
    it is missing or damaged."""
    if not path.is_file():
        raise DataError(path, "weights file not found")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise DataError(path, f"not a readable safetensors file ({exc})") from None


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu", expect_skeleton: str | None = None,
               expect_architecture: str | None = None):
    """(model in eval mode, card). Checks architecture and skeleton before touching the weights."""
    folder = model_dir(path)
    card = read_card(folder)
    if expect_architecture and card["architecture"] != expect_architecture:
        raise DataError(folder, f"this is a {card['architecture']} model, not {expect_architecture}")
    skeleton_name = card["skeleton"].get("name")
    if expect_skeleton and skeleton_name != expect_skeleton:
        raise DataError(folder, f"the model predicts the {skeleton_name} skeleton, not {expect_skeleton}")
    try:
        config = config_from_dict(card["config"])
        model = build_model(config)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DataError(folder / CARD, f"the model card's config does not fit this poseapp: {exc}") from None
    weights = folder / WEIGHTS
    state = read_weights(weights)
    _check_weights(weights, state, model.state_dict(), card["architecture"])
    model.load_state_dict(state)
    return model.to(device).eval(), card


def _check_weights(path: Path, state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], arch: str) -> None:
    """Refuse weights that do not fit the model, or that hold NaN or infinite values (a diverged
    run would otherwise predict garbage with full confidence)."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise DataError(
            path, f"the weights do not fit a {arch} model with this config "
            f"(missing {len(missing)} tensors, unexpected {len(unexpected)}; e.g. {(missing + unexpected)[:3]})"
        )
    wrong = [f"{k} {tuple(v.shape)} (model: {tuple(expected[k].shape)})" for k, v in state.items()
             if tuple(v.shape) != tuple(expected[k].shape)]
    if wrong:
        raise DataError(path, f"{len(wrong)} tensors have the wrong shape for this {arch} model, e.g. {wrong[0]}")
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise DataError(path, f"the weights hold NaN or infinite values ({len(bad)} tensors, e.g. {bad[0]})")


def save_state(folder: Path, state: dict[str, Any]) -> None:
    with atomic_open(folder / STATE, "wb") as handle:
        torch.save(state, handle)


def load_state(folder: Path) -> dict[str, Any] | None:
    path = folder / STATE
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)
