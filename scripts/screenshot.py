"""Render the main window on the demo project, with a model's heatmaps shown, to a PNG (offscreen).

Run: .venv/bin/python scripts/screenshot.py OUT.png [--model default|FOLDER] [--frame N] [--joint NAME] [--step T]
                                           [--size WxH] [--scene main|joints|add|retrain|occlusion|shortcuts|video|photo] [--photo PATH]

Scenes: main (heatmaps of a model run), joints (a selected joint named, its colour in the joint
table legend, the hover name), add (N: the mean pose in a drawn box), retrain (the fine-tune plan
for a small project), occlusion (chance level and the disagreement queue), shortcuts (the dialog), video (the demo
video's last frames run through the model: walkers with their track ids), photo (--photo PATH imported
and run with the default people boxes).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.demo import ensure_demo_project  # noqa: E402
from poseapp.engine.zoo import resolve_model  # noqa: E402
from poseapp.gui.app import application  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--model", default="default")
    parser.add_argument("--frame", type=int, default=6, help="row in the frame list (6: a COCO skier)")
    parser.add_argument("--joint", help="show this joint's heatmap (default: all joints)")
    parser.add_argument("--step", type=int, help="iteration or stage to show (default: the last)")
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--scene", default="main", choices=("main", "model", "joints", "add", "retrain", "occlusion", "shortcuts", "video", "photo"))
    parser.add_argument("--photo", help="photo scene: this picture, imported and run with the default people boxes")
    args = parser.parse_args()
    app = application()
    window = MainWindow()
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    window.open_project(ensure_demo_project(tempfile.mkdtemp(), rebuild=True))
    window.model_panel.add_model(str(resolve_model(args.model)))
    window._go_row(args.frame)
    job = window.run_model_on_frame()
    while job is not None and window.job is not None:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    if args.joint:
        window.heatmap_panel.joint_box.setCurrentText(args.joint)
    if args.step is not None:
        window.heatmap_panel.stage.setValue(args.step)
    app.processEvents()
    if args.scene == "main":
        window.side_tabs.setCurrentIndex(1)  # the Heatmaps tab: its step slider and peaks beside the overlay
    if args.scene == "photo" and not args.photo:
        parser.error("the photo scene needs --photo PATH")
    scenes = {**SCENES, "photo": functools.partial(_photo, path=args.photo)}
    shown = scenes[args.scene](window, app) if args.scene != "main" else window
    app.processEvents()
    shown.grab().save(args.out)
    print(f"{args.out}: {window.frame_info.text()}; {window.heatmap_panel.stage_label.text()}")
    window.close_project()


def _joints(window, app):
    inst = next(i for i in window.project.instances(window.current_frame_id) if i.origin == "manual")
    window.select_joint(inst.id, 7)
    window.canvas.show_hover(window.project.skeleton(inst.skeleton).joints[13], *inst.keypoints[13, :2])
    return window


def _add(window, app):
    frame = window.project.frame(window.current_frame_id)
    window.add_person()
    window._box_drawn((frame.width * 0.05, frame.height * 0.1, frame.width * 0.25, frame.height * 0.8))
    window.add_person()  # the prompt of the next one shows above the canvas
    return window


def _retrain(window, app):
    window.start_retrain()  # the demo has too few LSP people: the panel says what it would use, and why not
    return window


def _occlusion(window, app):
    import numpy as np

    manual = next(i for i in window.project.instances(window.current_frame_id) if i.origin == "manual")
    pred = next((i for i in window.project.instances(window.current_frame_id) if i.origin == "predicted"), None)
    scores = pred.vis_scores if pred is not None and pred.vis_scores is not None else np.linspace(0.1, 0.9, len(manual.keypoints))
    window.project.update_instance(manual.id, vis_scores=scores[: len(manual.keypoints)])
    window.occlusion_dock.raise_()
    window.occlusion_view.refresh(window.project)
    return window


def _photo(window, app, path: str):
    """A photo of the user's (--photo) imported and run as a user would: the People row's default
    detector boxes the people, the model poses each."""
    photo = Path(path).resolve()
    window.import_path(photo)
    row = next(r for r in range(window.model.rowCount())
               if (window.project.frame(window.model.frame_id(r)).file_name or "").endswith(photo.name))
    window._go_row(row)
    window.run_model_on_frame()
    _wait_for_job(window, app)
    window._go_row(row)
    return window


def _wait_for_job(window, app) -> None:
    while window.job is not None:
        app.processEvents()
        time.sleep(0.01)


def _model(window, app):
    window.side_tabs.setCurrentIndex(0)  # the Model tab: model, device, iterations, flip test, run, info
    return window


def _video(window, app):
    """The demo video's last frames run through the model: the walkers with their track ids."""
    from PySide6 import QtCore

    window._go_row(window.model.rowCount() - 1)
    selection = window.frame_list.selectionModel()
    last = window.model.rowCount() - 1
    for row in range(last - 5, last):
        selection.select(window.model.index(row), QtCore.QItemSelectionModel.SelectionFlag.Select)
    window.run_model_on_selection()
    _wait_for_job(window, app)
    window._go_row(last)
    return window


def _shortcuts(window, app):
    return window.show_shortcuts()


SCENES = {"model": _model, "joints": _joints, "add": _add, "retrain": _retrain, "occlusion": _occlusion, "shortcuts": _shortcuts,
          "video": _video}  # and "photo", which takes --photo


if __name__ == "__main__":
    main()
