"""GUI responsiveness, offscreen, on this machine.

Targets (issue 6): a drag costs at most 5 ms per mouse move, switching the shown iteration at
most 16 ms, stepping to the next video frame in a 10,000-frame project at most 50 ms.
Prints: time to open the demo project, per-move cost of a drag (real mouse events through the
view), iteration switch, next video frame (decode + draw) in a 10,000-frame project.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PySide6 import QtCore  # noqa: E402

from poseapp.demo import ensure_demo_project  # noqa: E402
from poseapp.engine import checkpoint as ckpt  # noqa: E402
from poseapp.gui.app import application  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402
from poseapp.models import build_model  # noqa: E402
from poseapp.store import Project  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def ms(samples: list[float]) -> str:
    return f"median {1000 * statistics.median(samples):.2f} ms, p90 {1000 * sorted(samples)[int(0.9 * len(samples))]:.2f} ms"


def wait_job(app, window) -> None:
    while window.job is not None:
        app.processEvents()
        time.sleep(0.005)


def main() -> None:
    app = application()
    tmp = Path(tempfile.mkdtemp())
    demo = ensure_demo_project(tmp, rebuild=True)
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    t0 = time.perf_counter()
    window.open_project(demo)
    app.processEvents()
    print(f"open the demo project (first frame drawn): {1000 * (time.perf_counter() - t0):.1f} ms")

    # a drag: real mouse events through the viewport, on an LSP image zoomed to fill the view
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    app.processEvents()
    inst = window.project.instances(window.current_frame_id)[0]
    x, y = inst.keypoints[0, :2]
    viewport = window.canvas.viewport()

    def to_view(px, py):
        return window.canvas.mapFromScene(window.canvas.view.mapViewToScene(QtCore.QPointF(px, py)))

    # pyqtgraph skips moves closer than 10 ms apart (mouseRateLimit); off here, so every move is
    # handled and timed. Events carry the held button explicitly (QTest's moves do not).
    import pyqtgraph as pg
    from PySide6 import QtGui, QtWidgets

    from poseapp.gui import canvas as canvas_module

    pg.setConfigOptions(mouseRateLimit=0)
    handled = []
    original = canvas_module.JointsItem.move_joint

    def counted(self, *args):
        handled.append(1)
        original(self, *args)

    canvas_module.JointsItem.move_joint = counted
    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        event = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), QtCore.QPointF(viewport.mapToGlobal(pos)), button, buttons,
                                  QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(viewport, event)

    send(QtCore.QEvent.Type.MouseButtonPress, to_view(x, y), left, left)
    moves = []
    for i in range(1, 201):
        p = to_view(x + 0.1 * i, y - 0.05 * i)
        t0 = time.perf_counter()
        send(QtCore.QEvent.Type.MouseMove, p, none, left)
        app.processEvents()
        moves.append(time.perf_counter() - t0)
    send(QtCore.QEvent.Type.MouseButtonRelease, to_view(x + 20, y - 10), left, none)
    app.processEvents()
    canvas_module.JointsItem.move_joint = original
    print(f"drag, per mouse move (200 moves, {len(handled)} handled as drag updates): {ms(moves)}; "
          f"undo commands pushed by the drag: {window.undo_stack.count()}")

    # iteration switch with a model's heatmaps on screen
    torch.manual_seed(0)
    model = build_model("recurrent-lite").eval()
    folder = tmp / "bench-model"
    ckpt.save_weights(model, folder)
    ckpt.write_card(folder, ckpt.make_card(model, "bench-model"))
    window.model_panel.add_model(folder)
    window._go_row(6)
    window.run_model_on_frame()
    wait_job(app, window)
    app.processEvents()
    def switch_times(joint_row: int) -> list[float]:
        window.heatmap_panel.joint_box.setCurrentIndex(joint_row)
        times = []
        for i in range(60):
            t0 = time.perf_counter()
            window.heatmap_panel.stage.setValue(i % 3)
            app.processEvents()
            times.append(time.perf_counter() - t0)
        return times

    switches, one_joint = switch_times(0), switch_times(5)
    print(f"iteration switch, all joints: {ms(switches)}; one joint with its path: {ms(one_joint)}")
    window.close_project()

    # next video frame in a 10,000-frame project: vtest.avi (795 frames) + 9,205 real image frames
    big = tmp / "big.poseapp"
    with Project.open(big, create=True) as p:
        from poseapp.formats import import_source

        import_source(p, DATA / "video" / "vtest.avi")
        images = sorted((DATA / "lspet" / "images").glob("*.jpg"))[:9205]
        src = p.add_source("folder", DATA / "lspet" / "images")
        p.add_frames(src.id, [(i, f.name, 200, 200, None, {}) for i, f in enumerate(images)])
        total = p.frame_count()
    window.open_project(big)
    app.processEvents()
    steps = []
    for _ in range(150):
        t0 = time.perf_counter()
        window.step(1)
        app.processEvents()
        steps.append(time.perf_counter() - t0)
    print(f"next video frame in a {total:,}-frame project (decode + draw): {ms(steps)}")
    window.close_project()


if __name__ == "__main__":
    main()
