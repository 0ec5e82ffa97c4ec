"""Render the main window on the demo project, with a model's heatmaps shown, to a PNG (offscreen).

Run: .venv/bin/python scripts/screenshot.py OUT.png [--model default|FOLDER] [--frame N] [--joint NAME] [--step T]
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--size", default="1500x950")
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
    window.grab().save(args.out)
    print(f"{args.out}: {window.frame_info.text()}; {window.heatmap_panel.stage_label.text()}")
    window.close_project()


if __name__ == "__main__":
    main()
