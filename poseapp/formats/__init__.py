"""Dataset formats: detection, import into a project, export from it.

``IMPORTERS`` and ``EXPORTERS`` are the registries the CLI and the GUI read; adding a format
means adding one entry here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from poseapp.core.errors import DataError
from poseapp.formats.coco import export_coco, export_coco_results, read_coco
from poseapp.formats.dataset import ImportBatch
from poseapp.formats.ingest import ImportSummary, add_media, apply_batch
from poseapp.formats.lsp import read_lsp
from poseapp.formats.yolo import export_yolo, read_yolo
from poseapp.store import Project

IMPORTERS: dict[str, Callable[..., ImportBatch]] = {
    "coco": read_coco,
    "lsp": lambda source, **kw: read_lsp(source, variant="lsp"),
    "lspet": lambda source, **kw: read_lsp(source, variant="lspet"),
    "yolo": lambda source, **kw: read_yolo(source),
}
MEDIA_FORMATS = ("media",)  # images, folders and videos without annotations

EXPORTERS: dict[str, Callable[..., dict[str, int]]] = {
    "coco": export_coco,
    "coco-results": export_coco_results,
    "yolo": export_yolo,
}


def detect_format(source: str | Path) -> str:
    """Guess a source's format from what is on disk; raises DataError naming the file when unsure."""
    source = Path(source)
    if not source.exists():
        raise DataError(source, "no such file or folder")
    if source.is_file():
        suffix = source.suffix.lower()
        if suffix == ".json":
            return "coco"
        if suffix == ".mat":
            from poseapp.formats.lsp import load_joints

            return load_joints(source)[0]
        if suffix in (".yaml", ".yml"):
            return "yolo"
        return "media"
    if (source / "joints.mat").is_file():
        from poseapp.formats.lsp import load_joints

        return load_joints(source / "joints.mat")[0]
    if (source / "labels").is_dir() and (source / "images").is_dir():
        return "yolo"
    jsons = sorted(source.glob("*.json"))
    if len(jsons) == 1:
        return "coco"
    return "media"


def import_source(project: Project, source: str | Path, fmt: str | None = None, image_root: str | Path | None = None) -> ImportSummary:
    """Import a dataset or media into ``project``. Any problem raises before the project changes."""
    source = Path(source)
    fmt = fmt or detect_format(source)
    if fmt == "media":
        return add_media(project, source)
    if fmt not in IMPORTERS:
        raise DataError(source, f"unknown format {fmt!r}; known: {', '.join(list(IMPORTERS) + ['media'])}")
    if fmt == "coco" and source.is_dir():
        jsons = sorted(source.glob("*.json"))
        if len(jsons) != 1:
            raise DataError(source, f"expected one COCO .json file in the folder, found {len(jsons)}")
        source = jsons[0]
    batch = read_coco(source, image_root=image_root) if fmt == "coco" else IMPORTERS[fmt](source)
    return apply_batch(project, batch)


def export_project(project: Project, fmt: str, out: str | Path, **options) -> dict[str, int]:
    if fmt not in EXPORTERS:
        raise DataError(out, f"unknown export format {fmt!r}; known: {', '.join(EXPORTERS)}")
    return EXPORTERS[fmt](project, out, **options)


__all__ = ["IMPORTERS", "EXPORTERS", "detect_format", "import_source", "export_project", "ImportSummary"]
