"""The format registry: each format declares how it is detected, read and exported, its options
and its file-dialog filter. The CLI, ``load_samples`` and the window's menus read it; adding a
format is one module plus one ``register(Format(...))`` line in ``poseapp/formats/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from poseapp.core.errors import DataError

DUPLICATES = ("skip", "add", "refuse")


@dataclass(frozen=True)
class ImportOptions:
    """What a user may say about an import; checked when made, so a bad value never reaches a reader."""

    image_root: Path | None = None  # where the images are, when not beside the annotation file
    allow_missing_images: bool = False  # import annotations whose image files are not there (locate later)
    duplicates: str = "skip"  # an annotation already in the project: skip it, add it again, or refuse the file
    model: str | None = None  # predictions files: the model they are filed under

    def __post_init__(self) -> None:
        if self.duplicates not in DUPLICATES:
            raise DataError(None, f"duplicates must be one of {', '.join(DUPLICATES)}, not {self.duplicates!r}")
        if self.image_root is not None:
            object.__setattr__(self, "image_root", Path(self.image_root))
            if not self.image_root.is_dir():
                raise DataError(self.image_root, "the image folder does not exist")
        if self.model is not None and (not isinstance(self.model, str) or not self.model.strip()):
            raise DataError(None, "a model name must be a non-empty text")


@dataclass(frozen=True)
class ExportOptions:
    include_predictions: bool = False  # export predicted instances as annotations too
    # COCO: keep frames nobody annotated or reviewed (as images with nobody on them); by default they
    # are left out, since a consumer reads an image without people as "nobody here"
    keep_unlabelled: bool = False
    # COCO: write the exported video frames as JPEG files beside the export (file names relative to it)
    write_frames: bool = False
    model: str | None = None  # results files: only this model's predictions
    # Folder exports copy their images (self-contained, and a tool that rewrites an image in the
    # export cannot change the original); hard links save the space when asked for.
    link_images: bool = False


Reader = Callable[[Path, ImportOptions], Any]  # -> ImportBatch
Exporter = Callable[[Any, Path, ExportOptions], dict]  # (project, out, options) -> counts


@dataclass(frozen=True)
class Format:
    name: str
    label: str  # shown in menus and dialogs
    patterns: tuple[str, ...] = ()  # file-dialog globs; empty for folder formats
    detect: Callable[[Path], bool] | None = None  # does this path hold this format? (cheap, never raises)
    read: Reader | None = None
    export: Exporter | None = None
    target: Literal["file", "folder"] = "file"  # what an export writes
    folder_source: bool = False  # the import dialog asks for a folder
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dialog_filter(self) -> str:
        return f"{self.label} ({' '.join(self.patterns) or '*'})"


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    if fmt.name in FORMATS:
        raise ValueError(f"format {fmt.name!r} is registered twice")
    FORMATS[fmt.name] = fmt
    return fmt


def importers() -> list[Format]:
    return [f for f in FORMATS.values() if f.read is not None]


def exporters() -> list[Format]:
    return [f for f in FORMATS.values() if f.export is not None]


def get(name: str, purpose: str = "import") -> Format:
    fmt = FORMATS.get(name)
    usable = importers() if purpose == "import" else exporters()
    if fmt is None or fmt not in usable:
        raise DataError(None, f"unknown {purpose} format {name!r}; known: {', '.join(f.name for f in usable)}")
    return fmt


def detect(source: Path) -> Format | None:
    """The first registered format that claims ``source`` (registration order is the priority)."""
    for fmt in FORMATS.values():
        if fmt.detect is not None and fmt.detect(source):
            return fmt
    return None
