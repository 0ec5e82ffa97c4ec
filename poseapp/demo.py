"""The bundled demo project: a few real LSP and COCO images with their annotations, and a short
pedestrian clip, built from ``resources/demo`` into a user folder on first use."""

from __future__ import annotations

import os
from pathlib import Path

from poseapp.core.errors import PoseAppError
from poseapp.core.paths import data_home  # noqa: F401 - re-exported: callers import it from here
from poseapp.formats import import_source
from poseapp.store import Project

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEMO_DIR = RESOURCES / "demo"


def demo_project_path(where: str | os.PathLike | None = None) -> Path:
    return Path(where or data_home()) / "demo.poseapp"


def ensure_demo_project(where: str | os.PathLike | None = None, rebuild: bool = False) -> Path:
    """The demo project's path, building it if it is missing (or when ``rebuild``)."""
    path = demo_project_path(where)
    if path.exists() and not rebuild and _sources_present(path):
        return path
    if not DEMO_DIR.is_dir():
        raise PoseAppError(f"{DEMO_DIR}: the bundled demo is missing from this installation")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    with Project.open(tmp, create=True) as project:
        import_source(project, DEMO_DIR / "lsp_demo.json", fmt="coco", image_root=DEMO_DIR / "images")
        import_source(project, DEMO_DIR / "coco_demo.json", fmt="coco", image_root=DEMO_DIR / "images")
        import_source(project, DEMO_DIR / "pedestrians.mp4", fmt="media")
    os.replace(tmp, path)
    return path


def _sources_present(path: Path) -> bool:
    """False when the checkout the demo was built from has moved (its sources are absolute paths)."""
    try:
        with Project.open(path) as project:
            return all(Path(s.path).exists() for s in project.sources())
    except PoseAppError:
        return False
