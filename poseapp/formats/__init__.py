"""Dataset formats: detection, import into a project, export from it.

Every format is one ``Format`` entry in the registry (``poseapp.formats.registry``), registered
below; the CLI, ``load_samples`` and the window's menus read the registry, so adding a format
is adding its module and one ``register`` line here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from poseapp.core.errors import DataError
from poseapp.formats import coco, coco_export, coco_results, cvat, dlc, label_studio, lsp, sleap, yolo, yolo_export
from poseapp.formats.dataset import ImportBatch
from poseapp.formats.ingest import ImportSummary, add_media, apply_batch
from poseapp.formats.registry import FORMATS, ExportOptions, Format, ImportOptions, exporters, importers, register
from poseapp.store import Project

# Detection tries formats in this order: SLEAP, DeepLabCut and Label Studio first (their checks are
# strict, and YOLO claims any .yaml, COCO results any JSON list), a results list before the COCO object file.
register(Format(
    "slp", "SLEAP labels (.slp, .pkg.slp)", ("*.slp",), detect=sleap.detect, read=sleap.read, export=sleap.export,
    target="file",
))
register(Format(
    "dlc", "DeepLabCut project (config.yaml, CollectedData_*.csv / .h5)", ("config.yaml", "*.yaml", "CollectedData_*.csv",
    "CollectedData_*.h5", "*.csv"), detect=dlc.detect, read=dlc.read, export=dlc.export, target="folder",
))
register(Format(
    "label-studio", "Label Studio JSON (keypoints)", ("*.json",), detect=label_studio.detect, read=label_studio.read,
))
register(Format(
    "coco-results", "COCO results (predictions) JSON", ("*.json",), detect=coco_results.detect,
    read=coco_results.read, export=coco_results.export, target="file",
))
register(Format(
    "coco", "COCO keypoints JSON", ("*.json",), detect=coco.detect, read=coco.read, export=coco_export.export,
    target="file",
))
register(Format("lsp", "LSP joints.mat", ("joints.mat",), detect=lsp.detect("lsp"), read=lsp.reader("lsp")))
register(Format("lspet", "LSP Extended joints.mat", ("joints.mat",), detect=lsp.detect("lspet"), read=lsp.reader("lspet")))
register(Format(
    "yolo", "YOLO-pose (Ultralytics) dataset", ("data.yaml", "*.yaml", "*.yml"), detect=yolo.detect, read=yolo.read,
    export=yolo_export.export, target="folder", folder_source=True,
))
register(Format(
    "cvat", "CVAT for images 1.1 XML (skeletons)", ("*.xml",), detect=cvat.detect, read=cvat.read, export=cvat.export,
    target="file",
))

MEDIA_FORMATS = ("media",)  # images, folders and videos without annotations
# Name -> reader / exporter views of the registry, for argparse choices and older callers.
IMPORTERS: dict[str, Format] = {f.name: f for f in importers()}
EXPORTERS: dict[str, Format] = {f.name: f for f in exporters()}


def detect_format(source: str | Path) -> str:
    """Guess a source's format from what is on disk; raises DataError naming the file when it is missing."""
    source = Path(source)
    if not source.exists():
        raise DataError(source, "no such file or folder")
    for fmt in FORMATS.values():
        if fmt.detect is not None and fmt.detect(source):
            return fmt.name
    return "media"


def read_source(source: str | Path, fmt: str | None = None, options: ImportOptions | None = None) -> ImportBatch:
    """A checked batch from a dataset source, without touching any project."""
    source = Path(source)
    name = fmt or detect_format(source)
    if name not in IMPORTERS:
        raise DataError(source, f"unknown format {name!r}; known: {', '.join(list(IMPORTERS) + ['media'])}")
    return IMPORTERS[name].read(source, options or ImportOptions())  # type: ignore[misc]


def import_source(
    project: Project, source: str | Path, fmt: str | None = None, image_root: str | Path | None = None,
    options: ImportOptions | None = None, **option_values: Any,
) -> ImportSummary:
    """Import a dataset or media into ``project``. Any problem raises before the project changes."""
    source = Path(source)
    if options is None:
        options = ImportOptions(image_root=Path(image_root) if image_root is not None else None, **option_values)
    fmt = fmt or detect_format(source)
    if fmt == "media":
        return add_media(project, source)
    batch = read_source(source, fmt, options)
    if isinstance(batch, coco_results.PredictionsBatch):
        return coco_results.apply(project, batch)
    if batch.prepare is not None:  # images held inside the file (a .pkg.slp): written beside the project
        batch.prepare(Path(project.path).parent / f"{Path(project.path).stem}-media")
    return apply_batch(project, batch, duplicates=options.duplicates)


def export_project(
    project: Project, fmt: str, out: str | Path, options: ExportOptions | None = None, **option_values: Any
) -> dict[str, int]:
    if fmt not in EXPORTERS:
        raise DataError(out, f"unknown export format {fmt!r}; known: {', '.join(EXPORTERS)}")
    if options is None:
        if "model_id" in option_values:  # the older keyword
            option_values["model"] = option_values.pop("model_id")
        options = ExportOptions(**option_values)
    return EXPORTERS[fmt].export(project, Path(out), options)  # type: ignore[misc]


__all__ = [
    "FORMATS", "IMPORTERS", "EXPORTERS", "ImportOptions", "ExportOptions", "detect_format", "read_source",
    "import_source", "export_project", "ImportSummary",
]
