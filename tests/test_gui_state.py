"""Window state that must follow what the user does: the view fits each frame, a new project
starts clean, the status bar and panels say what is on screen, a cancel leaves no stale progress."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import answer_dialogs, trigger, wait_job  # noqa: E402


def image_fills_view(window):
    frame = window.project.frame(window.current_frame_id)
    (x0, x1), (y0, y1) = window.canvas.view.viewRange()
    inside = x0 <= 0 and y0 <= 0 and x1 >= frame.width - 1 and y1 >= frame.height - 1
    fills = (x1 - x0) <= frame.width * 1.1 or (y1 - y0) <= frame.height * 1.1  # aspect lock pads one side only
    return inside and fills


def test_the_view_refits_when_the_next_frame_has_another_size(window, qtbot, tiny_model):  # noqa: F811
    window.model_panel.add_model(tiny_model)
    window._go_row(6)  # a 640-pixel COCO photo, with heatmaps and people drawn over it
    trigger(window, "run")
    wait_job(window, qtbot)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Left)  # an LSP image, a quarter of its size
    assert window.project.frame(window.current_frame_id).width < 400
    assert image_fills_view(window)


def test_a_new_project_starts_with_empty_panels(window, qtbot, monkeypatch, tmp_path, tiny_model):  # noqa: F811
    window.model_panel.add_model(tiny_model)
    window._go_row(6)
    trigger(window, "run")
    wait_job(window, qtbot)
    assert "peak" in window.heatmap_panel.stage_label.text()
    answer_dialogs(monkeypatch, tmp_path / "fresh.poseapp")
    trigger(window, "new")
    panel = window.heatmap_panel
    assert "no prediction" in panel.stage_label.text() and panel.joint_box.count() == 0 and panel.stage.maximum() == 0
    assert window.model_panel.progress.value() == 0 and window.canvas._heat == []


def test_the_status_bar_shows_the_state_r_set(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 3)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_V)
    qtbot.waitUntil(lambda: "[edited]" in window.frame_info.text())
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "[reviewed]" in window.frame_info.text())


def test_a_cancelled_run_leaves_no_stale_progress_and_its_predictions_are_named(window, qtbot, monkeypatch, tiny_model):  # noqa: F811
    window.model_panel.add_model(tiny_model)
    trigger(window, "last")
    window.seek_bar.slider.setValue(0)
    trigger(window, "run_source")
    qtbot.waitUntil(lambda: window.model_panel.progress.value() >= 1, timeout=120_000)
    trigger(window, "cancel")
    wait_job(window, qtbot)
    bar = window.model_panel.progress
    assert bar.value() == 0 and bar.text() == "cancelled"
    video = window.project.frame(window.current_frame_id).source_id
    done = [fid for fid in window.project.frame_ids(source_id=video)
            if any(i.origin == "predicted" for i in window.project.instances(fid))]
    answer_dialogs(monkeypatch, window.project.path)
    trigger(window, "open")  # the predictions are in the file; their heatmaps are not
    window.show_frame(done[0]) if window.model.row_of(done[0]) is None else window._go_row(window.model.row_of(done[0]))
    assert "prediction by tiny-recurrent shown" in window.heatmap_panel.stage_label.text()


def test_occlusion_view_shows_chance_and_a_full_sorted_disagreement_queue(window, qtbot):
    import numpy as np

    project = window.project
    manual = project.instances(window.current_frame_id)[0]
    flags = manual.keypoints[:, 2]
    visible, occluded = np.flatnonzero(flags == 2), np.flatnonzero(flags == 1)
    assert len(occluded) >= 1 and len(visible) >= 2
    scores = np.where(flags == 2, 0.9, 0.2)
    scores[visible[0]] = 0.05  # confidently wrong: flagged visible
    scores[visible[1]] = 0.45  # barely wrong
    scores[occluded[0]] = 0.97  # confidently wrong: flagged occluded
    project.update_instance(manual.id, vis_scores=scores)
    window.occlusion_dock.raise_()
    view = window.occlusion_view
    qtbot.mouseClick(view.refresh_button, QtCore.Qt.MouseButton.LeftButton)
    share_visible = 100 * len(visible) / (len(visible) + len(occluded))
    assert f"chance {share_visible:.1f}" in view.summary.text()
    assert view.baseline.isVisible() and view.baseline.value() == pytest.approx(share_visible / 100)
    texts = [view.queue.item(r).text() for r in range(view.queue.count())]
    names = project.skeleton(manual.skeleton).joints
    assert texts[0].endswith(f"{names[visible[0]]}: model says occluded (visibility 0.05), flagged visible") or \
        texts[0].endswith(f"{names[occluded[0]]}: model says visible (visibility 0.97), flagged occluded")
    assert texts[2].endswith(f"{names[visible[1]]}: model says occluded (visibility 0.45), flagged visible")
    assert len(texts) == 3 and view.queue.wordWrap()
    window.model_panel.occluded_below.setValue(0.4)  # the user lowers the threshold: the barely wrong one agrees now
    assert view.queue.count() == 2


def test_run_on_source_starts_at_the_current_frame_and_shows_rate_and_time_left(window, qtbot, tiny_model):  # noqa: F811
    window.model_panel.add_model(tiny_model)
    trigger(window, "last")
    window.seek_bar.slider.setValue(75)  # the user is at frame 75 of 80
    bar = window.model_panel.progress
    shown = []
    bar.valueChanged.connect(lambda _v: shown.append(bar.text()))
    trigger(window, "run_source")
    wait_job(window, qtbot)
    video = window.project.frame(window.current_frame_id).source_id
    done = sorted(window.project.frame(fid).index for fid in window.project.frame_ids(source_id=video)
                  if any(i.origin == "predicted" for i in window.project.instances(fid)))
    assert done == [75, 76, 77, 78, 79]
    assert any("1/5 frames" in t and "frames/s" in t and "left" in t for t in shown), shown
    assert "5/5 frames" in bar.text() and "frames/s" in bar.text()
    window.model_panel.from_current.setChecked(False)  # the option: from the source's first frame
    trigger(window, "run_source")
    job = window.job
    qtbot.waitUntil(lambda: bar.value() >= 1, timeout=120_000)
    trigger(window, "cancel")
    wait_job(window, qtbot)
    assert job.was_cancelled
    assert any(i.origin == "predicted" for i in window.project.instances(window.project.frame_ids(source_id=video)[0]))


def test_a_person_too_small_for_the_model_is_said_so(window, qtbot, monkeypatch, tmp_path, tiny_model):  # noqa: F811
    import numpy as np

    from poseapp.media.images import write_image

    folder = tmp_path / "tiny_images"
    folder.mkdir()
    write_image(folder / "small.png", np.random.default_rng(0).integers(0, 255, (40, 34, 3), dtype=np.uint8))
    answer_dialogs(monkeypatch, folder)
    trigger(window, "import_folder")
    window.jump_to("small.png")
    window.model_panel.add_model(tiny_model)
    trigger(window, "run")
    wait_job(window, qtbot)
    assert window.model_panel.warning.isVisible()
    assert "too small for the model" in window.model_panel.warning.text() and "128 px" in window.model_panel.warning.text()
    window._go_row(0)  # a normal LSP photo, annotated in the model's skeleton: no warning
    trigger(window, "run")
    wait_job(window, qtbot)
    assert not window.model_panel.warning.isVisible()


def test_views_get_typed_project_events(window, qtbot):
    from poseapp.core.events import FrameStateChanged, InstanceChanged

    seen = []
    window.project.events.instance_changed.connect(seen.append)
    window.project.events.frame_state_changed.connect(seen.append)
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 2)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_V)
    changed = [e for e in seen if isinstance(e, InstanceChanged)]
    assert len(changed) == 1 and changed[0].old.keypoints[2, 2] != changed[0].new.keypoints[2, 2]
    assert changed[0].frame_id == window.current_frame_id
    assert FrameStateChanged(window.current_frame_id, "edited") in seen


def test_the_status_bar_counts_one_person_in_the_singular(window, qtbot, tiny_model):
    window.model_panel.add_model(tiny_model)
    window._go_row(6)  # the skier: one annotated person, so one box
    trigger(window, "run")
    wait_job(window, qtbot)
    assert "predicted 1 person in coco_000000000785.jpg" in window.statusBar().currentMessage()
