"""Refinement in the window's path (issue #13, item 4), offscreen, on this machine.

After a drop the window saves the drag with the refined joints of the person in one edit. Prints,
per correction on the shipped recurrent-lite (CPU): the model's re-run alone (Predictor.refine
from the cached features), the whole drop (refine + save + undo stack + rings), the queued redraw
after it, and the first correction on a person without cached features (one feed-forward pass).
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_refine.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.demo import ensure_demo_project  # noqa: E402
from poseapp.gui.app import application  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402

MODEL = Path(__file__).resolve().parent.parent / "models" / "recurrent-lite"
JOINTS = (6, 11, 0, 5, 9)  # wrists, ankles, a shoulder: the joints a user drags most


def median_ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.1f} ms, p90 {sorted(samples)[int(0.9 * len(samples))]:.1f} ms"


def settle(app) -> float:
    start = time.perf_counter()
    app.processEvents()
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = application()
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    window.open_project(ensure_demo_project(Path(tempfile.mkdtemp()), rebuild=True))
    window.model_panel.add_model(MODEL)
    fid = window.current_frame_id
    window.select_joint(window.project.instances(fid)[0].id, 0)
    window.delete_instance()
    window.run_model_on_frame()
    while window.job is not None:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    person = window.project.instances(fid)[0]

    model_ms, drop_ms, redraw_ms = [], [], []
    for n in range(args.repeat):
        joint = JOINTS[n % len(JOINTS)]
        x, y = window.project.instance(person.id).keypoints[joint, :2]
        start = time.perf_counter()
        window.canvas.joint_dropped.emit(person.id, joint, float(x + 3), float(y - 2))
        drop_ms.append(1000 * (time.perf_counter() - start))
        model_ms.append(window.last_refine_ms)
        redraw_ms.append(settle(app))
        window.undo_edit()  # every drop refines the same prediction with one hint
        settle(app)
    print(f"refine after a drag, recurrent-lite, CPU, 1 placed joint ({args.repeat} drops):")
    print(f"  model re-run (Predictor.refine):         {median_ms(model_ms)}")
    print(f"  whole drop (refine + save + undo step):  {median_ms(drop_ms)}")
    print(f"  queued redraw after it:                  {median_ms(redraw_ms)}")

    first = []
    for n in range(min(args.repeat, 10)):
        window.results.clear()  # as after reopening: no cached features
        window._refine_cache = None
        x, y = window.project.instance(person.id).keypoints[6, :2]
        start = time.perf_counter()
        window.canvas.joint_dropped.emit(person.id, 6, float(x + 3), float(y - 2))
        first.append(1000 * (time.perf_counter() - start))
        settle(app)
        window.undo_edit()
        settle(app)
    print(f"  first drop without cached features:     {median_ms(first)} (one feed-forward pass more)")
    window.close_project()


if __name__ == "__main__":
    main()
