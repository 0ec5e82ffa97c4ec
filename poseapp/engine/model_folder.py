"""A model folder's layout and its card, read without torch: the window lists models, shows
their cards and opens before PyTorch (about 2.5 s of import) has loaded; checkpoint.py loads the weights.

    NAME/weights.safetensors   NAME/card.json   NAME/train_state.pt (see checkpoint.py)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from poseapp.core.atomic import write_json_atomic
from poseapp.core.errors import DataError
from poseapp.core.skeleton import PRESETS, Skeleton

WEIGHTS = "weights.safetensors"
CARD = "card.json"
STATE = "train_state.pt"


def model_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.parent if path.suffix in (".safetensors", ".json") else path


def write_card(folder: Path, card: dict[str, Any]) -> None:
    write_json_atomic(folder / CARD, card, indent=2)


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    folder = model_dir(path)
    card_path = folder / CARD
    if not card_path.is_file():
        raise DataError(card_path, "no model card here: not a poseapp model folder")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(card_path, f"the model card is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(card, dict):
        raise DataError(card_path, "the model card is not a JSON object")
    for key, kind in (("architecture", str), ("config", dict), ("skeleton", dict)):
        if key not in card:
            raise DataError(card_path, f"the model card has no '{key}'")
        if not isinstance(card[key], kind):
            raise DataError(card_path, f"the model card's '{key}' should be a {'string' if kind is str else 'JSON object'}")
    return card


def skeleton_of(card: dict[str, Any]) -> Skeleton:
    data = card["skeleton"]
    return PRESETS.get(data.get("name")) or Skeleton.from_dict(data)
