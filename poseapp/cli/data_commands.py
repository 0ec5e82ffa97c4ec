"""``poseapp import``, ``export`` and ``info``: datasets in and out of a project file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from poseapp.core.errors import DataError
from poseapp.formats import (
    EXPORTERS, IMPORTERS, ExportOptions, ImportOptions, detect_format, export_project, import_source, read_source,
)
from poseapp.formats.output import check_new_file
from poseapp.formats.registry import DUPLICATES
from poseapp.store import Project
from poseapp.store.edits import mean_pose_note, mean_pose_people
from poseapp.store.project_file import PROJECT_SUFFIX, is_project_file


def register(sub: argparse._SubParsersAction) -> dict:
    p = sub.add_parser("import", help="import a dataset, image, folder or video into a project")
    p.add_argument("source", help="COCO .json, LSP/LSPET folder or joints.mat, YOLO-pose folder, image, folder or video")
    p.add_argument("--project", required=True, help=f"project file ({PROJECT_SUFFIX}); created when missing")
    p.add_argument("--format", choices=sorted(IMPORTERS) + ["media"], help="skip format detection")
    p.add_argument("--images", help="image folder for a COCO file (default: beside the JSON)")
    p.add_argument("--allow-missing-images", action="store_true",
                   help="import annotations whose image files are not there, listing them (locate them later with relocate)")
    p.add_argument("--duplicates", choices=DUPLICATES, default="skip",
                   help="annotations already in the project (the same file imported again): skip (default), add, refuse")
    p.add_argument("--model", help="coco-results: the model the predictions are filed under (default: the file name)")

    e = sub.add_parser("export", help="export a project's annotations or predictions")
    e.add_argument("project", help="project file")
    e.add_argument("--format", required=True, choices=sorted(EXPORTERS))
    e.add_argument("--out", required=True, help="output file (coco, coco-results) or folder (yolo)")
    e.add_argument("--include-predictions", action="store_true", help="also export predicted instances as annotations")
    e.add_argument("--keep-unlabelled", action="store_true",
                   help="coco: keep the images nobody annotated or reviewed (left out by default: an image "
                        "without people reads as 'nobody here')")
    e.add_argument("--write-frames", action="store_true",
                   help="coco: write the exported video frames as JPEG files beside the export (VIDEO_STEM/000123.jpg), "
                        "with every file name relative to the export's folder, so any COCO tool opens them")
    e.add_argument("--model", help="coco-results: only this model's predictions")
    e.add_argument("--link-images", action="store_true",
                   help="yolo: hard-link the images instead of copying them (saves space; a tool that rewrites an "
                   "image in the export then changes the original)")
    e.add_argument("--force", action="store_true",
                   help="replace an existing output file (coco, coco-results); a folder export replaces only "
                   "a folder an earlier export made, with or without it")

    i = sub.add_parser("info", help="summarise a project or a dataset file")
    i.add_argument("file")
    i.add_argument("--json", action="store_true", help="machine-readable output")

    r = sub.add_parser("relocate", help="find a project's sources after their files moved; lists them without SOURCE")
    r.add_argument("project", help="project file")
    r.add_argument("source", nargs="?", help="the source's id or its old path")
    r.add_argument("new_path", nargs="?", help="where the source's folder, video or image is now")
    return {"import": cmd_import, "export": cmd_export, "info": cmd_info, "relocate": cmd_relocate}


def cmd_relocate(args: argparse.Namespace) -> int:
    from poseapp.media.relocate import follow_moved_project, missing_sources, relocate_source

    with Project.open(args.project) as project:
        for old, new in follow_moved_project(project):
            print(f"source {old.id}: moved with the project, now {new}")
        if args.source is not None:
            if args.new_path is None:
                raise DataError(args.project, "give the new path after the source")
            by_id = {str(s.id): s for s in project.sources()}
            source = by_id.get(args.source) or project.source_by_path(args.source)
            if source is None:
                raise DataError(args.project, f"no source {args.source!r} (ids: {', '.join(by_id) or 'none'})")
            moved = relocate_source(project, source.id, args.new_path)
            print(f"source {moved.id}: now {moved.path}")
        missing = {s.id for s in missing_sources(project)}
        for s in project.sources():
            print(f"{s.id:4d} {s.kind:6s} {'MISSING' if s.id in missing else 'ok':7s} {s.path}")
    return 1 if missing else 0


def cmd_import(args: argparse.Namespace) -> int:
    project_path = Path(args.project)
    created = not project_path.exists()
    # Check the source before creating anything, so a bad import leaves no empty project behind.
    fmt = args.format or detect_format(args.source)
    options = ImportOptions(
        image_root=Path(args.images) if args.images else None, allow_missing_images=args.allow_missing_images,
        duplicates=args.duplicates, model=args.model,
    )
    project = Project.open(project_path, create=True)
    try:
        summary = import_source(project, args.source, fmt=fmt, options=options)
    except BaseException:
        project.close()
        if created:
            for suffix in ("", "-wal", "-shm"):
                Path(str(project_path) + suffix).unlink(missing_ok=True)
        raise
    print(summary)
    print(f"project {project_path}: {project.frame_count()} frames, {project.instance_count()} instances")
    project.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.format in EXPORTERS and EXPORTERS[args.format].target == "file":
        check_new_file(args.out, args.force)
    with Project.open(args.project, read_only=True) as project:
        options = ExportOptions(include_predictions=args.include_predictions, model=args.model, link_images=args.link_images,
                                keep_unlabelled=args.keep_unlabelled, write_frames=args.write_frames)
        counts = export_project(project, args.format, args.out, options)
        templates = mean_pose_people(project)
    print(f"wrote {args.out}: " + ", ".join(f"{n} {k}" if isinstance(n, int) else f"{k} {n}" for k, n in counts.items()))
    if templates:
        print(f"note: {mean_pose_note(templates)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    path = Path(args.file)
    # a .poseapp that does not read as one is a damaged project, said as export and the window say it
    if path.is_file() and (path.suffix == PROJECT_SUFFIX or is_project_file(path)):
        with Project.open(path, read_only=True) as project:
            info = project.stats()
    else:
        info = _dataset_info(path)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_tree(info)
    return 0


def _media_info(path: Path) -> dict:
    """A video, an image or a folder of images: what importing it would bring in (no people yet)."""
    from poseapp.media.images import is_image_file, is_video_file, list_images, verify_image
    from poseapp.media.video import probe_video

    if is_video_file(path):
        video = probe_video(path)
        info = {"file": str(path), "kind": "video", "frames": video.frame_count, "size": f"{video.width}x{video.height}"}
        if video.fps:
            info.update(fps=round(video.fps, 2), seconds=round(video.frame_count / video.fps, 1))
        return info
    if is_image_file(path):
        width, height = verify_image(path)
        return {"file": str(path), "kind": "image", "size": f"{width}x{height}"}
    if path.is_dir():
        names = list_images(path)
        if names:
            return {"folder": str(path), "kind": "image folder", "images": len(names)}
    raise DataError(path, "neither a poseapp project, a dataset (COCO, LSP, LSPET, YOLO-pose ...), an image, a folder "
                          "of images nor a video")


def _dataset_info(path: Path) -> dict:
    if not path.exists():
        raise DataError(path, "no such file or folder")
    fmt = detect_format(path)
    if fmt == "media":
        return _media_info(path)
    batch = read_source(path, fmt)
    if not hasattr(batch, "images"):
        raise DataError(path, f"a {fmt} file holds predictions; import it into a project to see them")
    visibility = {0: 0, 1: 0, 2: 0}
    for image in batch.images:
        for inst in image.instances:
            for v in inst.keypoints[:, 2]:
                visibility[int(v)] += 1
    labelled = visibility[1] + visibility[2]
    return {
        "file": str(batch.annotation_file),
        "format": batch.format,
        "image_root": str(batch.image_root),
        "images": len(batch.images),
        "instances": batch.instance_count,
        "skeletons": sorted({i.skeleton.name for im in batch.images for i in im.instances}),
        "keypoints": {
            "not_labelled": visibility[0], "occluded": visibility[1], "visible": visibility[2],
            "occluded_percent_of_labelled": round(100.0 * visibility[1] / labelled, 2) if labelled else None,
        },
        "notes": batch.notes,
    }


def _print_tree(info: dict, indent: str = "") -> None:
    for key, value in info.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_tree(value, indent + "  ")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            print(f"{indent}{key}:")
            for item in value:
                print(f"{indent}  - " + ", ".join(f"{k}={v}" for k, v in item.items()))
        else:
            print(f"{indent}{key}: {value}")
