"""Where models live: ``models/`` in the checkout (shipped) and ``$POSEAPP_HOME/models`` (trained
by the user). ``default`` names the model the GUI opens with (``models/DEFAULT`` holds its name)."""

from __future__ import annotations

import os
from pathlib import Path

from poseapp.core.errors import DataError
from poseapp.demo import data_home
from poseapp.engine.model_folder import CARD, model_dir, read_card

SHIPPED = Path(__file__).resolve().parent.parent.parent / "models"


def model_roots() -> list[Path]:
    return [SHIPPED, data_home() / "models"]


def list_models() -> list[Path]:
    found = []
    for root in model_roots():
        if root.is_dir():
            found += sorted(p for p in root.iterdir() if (p / CARD).is_file())
    return found


def default_model_name() -> str | None:
    marker = SHIPPED / "DEFAULT"
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


def default_model_for(skeleton: str | None) -> str | None:
    """The shipped model to start a project of ``skeleton`` with (``models/DEFAULT_BY_SKELETON.json``,
    e.g. COCO-17 projects get the COCO-17 model); None for a skeleton without one."""
    marker = SHIPPED / "DEFAULT_BY_SKELETON.json"
    if skeleton is None or not marker.is_file():
        return None
    import json

    try:
        name = json.loads(marker.read_text(encoding="utf-8")).get(skeleton)
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and (SHIPPED / name / CARD).is_file() else None


def model_for_skeleton(skeleton: str | None) -> Path | None:
    """The model to open a project of ``skeleton`` with: the shipped one made for it, else the
    newest of the user's own models (fine-tuned on such a project) that predicts it; None when no
    model predicts it yet."""
    name = default_model_for(skeleton)
    if name is not None:
        return SHIPPED / name
    if skeleton is None:
        return None
    mine = []
    for folder in list_models():
        if folder.parent.resolve() == SHIPPED.resolve():
            continue
        try:
            card = read_card(folder)
        except (DataError, OSError):
            continue  # a damaged card is the model list's to report, not a reason to fail here
        if card["skeleton"].get("name") == skeleton:
            mine.append(folder)
    return max(mine, key=lambda f: (f / CARD).stat().st_mtime) if mine else None


def resolve_model(name: str | os.PathLike) -> Path:
    """A model folder from a path, a model name in one of the roots, or 'default'."""
    text = os.fspath(name)
    if text == "default":
        default = default_model_name()
        if default is None:
            raise DataError(SHIPPED / "DEFAULT", "no default model is shipped in this installation")
        text = default
    path = Path(text)
    if (model_dir(path) / CARD).is_file():
        return model_dir(path)
    for root in model_roots():
        if (root / text / CARD).is_file():
            return root / text
    known = ", ".join(p.name for p in list_models()) or "none"
    raise DataError(path, f"no model here (a folder with {CARD}); known models: {known}")
