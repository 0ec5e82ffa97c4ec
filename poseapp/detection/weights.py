"""A detector folder: ``weights.safetensors`` (read without unpickling anything) and
``detector.json``, its card (architecture, config, training data and schedule, time, hardware,
measured recall and precision).

The card is not named card.json on purpose: models/ lists every folder with a card.json as a pose
model (engine/zoo.py), and the detector is not one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from poseapp.core.atomic import write_bytes_atomic, write_json_atomic
from poseapp.core.errors import DataError

WEIGHTS = "weights.safetensors"
CARD = "detector.json"
SHIPPED = Path(__file__).resolve().parent.parent.parent / "models" / "person-detector"


def save(model, folder: str | os.PathLike, card: dict[str, Any]) -> None:
    from safetensors.torch import save as to_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    write_bytes_atomic(folder / WEIGHTS, to_bytes(tensors))
    write_json_atomic(folder / CARD, card, indent=2)


def read_card(folder: str | os.PathLike) -> dict[str, Any]:
    path = Path(folder) / CARD
    if not path.is_file():
        raise DataError(path, "no detector card here: not a person-detector folder")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"the detector card is not valid JSON ({exc})") from None
    if not isinstance(card, dict) or not isinstance(card.get("config"), dict):
        raise DataError(path, "the detector card has no 'config' object")
    return card


def load(folder: str | os.PathLike = SHIPPED):
    """(model in eval mode, card). Every problem names the file it is in."""
    import torch

    from poseapp.detection.model import ARCHITECTURE, DetectorConfig, PersonCenterNet
    from poseapp.engine.checkpoint import read_weights

    folder = Path(folder)
    card = read_card(folder)
    if card.get("architecture") != ARCHITECTURE:
        raise DataError(folder / CARD, f"architecture {card.get('architecture')!r} is not {ARCHITECTURE}")
    try:
        model = PersonCenterNet(DetectorConfig.from_dict(card["config"]))
    except (TypeError, ValueError) as exc:
        raise DataError(folder / CARD, f"the detector config does not fit this poseapp: {exc}") from None
    path = folder / WEIGHTS
    state = read_weights(path)
    expected = model.state_dict()
    if set(state) != set(expected) or any(tuple(state[k].shape) != tuple(v.shape) for k, v in expected.items()):
        raise DataError(path, "the weights do not fit the detector its card describes")
    if any(v.is_floating_point() and not bool(torch.isfinite(v).all()) for v in state.values()):
        raise DataError(path, "the weights hold NaN or infinite values")
    model.load_state_dict(state)
    return model.eval(), card
