"""Re-running a model over video frames after a correction, as a user does it: run on frames, drag
one joint of one walker, run the same frames again (issue #25 item 1)."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui import _drag  # noqa: E402
from test_gui_actions import trigger, wait_job  # noqa: E402


def _select_video_frames(window, qtbot, count):
    """The first ``count`` frames of the demo's video, selected in the frame list."""
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # the video's last frame
    video = window.project.frame(window.current_frame_id).source_id
    frames = window.project.frame_ids(source_id=video)[:count]
    window._go_frame(frames[0])
    selection = window.frame_list.selectionModel()
    for fid in frames[1:]:
        selection.select(window.model.index(window.model.row_of(fid)), QtCore.QItemSelectionModel.SelectionFlag.Select)
    assert window.selected_frame_ids() == frames
    return frames


def _people(window, fid):
    return sorted((i.extra.get("track_id"), i.origin) for i in window.project.instances(fid))


def test_a_rerun_after_a_correction_keeps_every_walker_and_predicts_the_corrected_one_once(window, qtbot):
    frames = _select_video_frames(window, qtbot, 12)
    trigger(window, "run_selection")
    wait_job(window, qtbot)
    first = {fid: _people(window, fid) for fid in frames}
    assert all(len(first[fid]) >= 3 for fid in frames), first

    window._go_frame(frames[5])  # one joint of one walker dragged a little
    walker = max(window.project.instances(frames[5]), key=lambda i: i.score)
    bx, by, bw, bh = walker.bbox
    window.canvas.view.setRange(xRange=(bx, bx + bw), yRange=(by, by + bh), padding=0)  # zoomed in on them
    x, y = walker.keypoints[0, :2]
    _drag(window, qtbot, (x, y), (x + 4, y + 3))
    corrected = window.project.instance(walker.id)
    assert corrected.origin == "manual" and abs(corrected.keypoints[0, 0] - (x + 4)) < 1.5

    _select_video_frames(window, qtbot, 12)
    trigger(window, "run_selection")
    wait_job(window, qtbot)
    for fid in frames:
        ids = [track for track, _ in _people(window, fid)]
        # every walker of the first run is there, once: nobody removed, nobody predicted twice
        assert sorted(ids) == sorted(track for track, _ in first[fid]), (fid, _people(window, fid), first[fid])
    assert window.project.instance(walker.id).keypoints[0, 0] == pytest.approx(corrected.keypoints[0, 0])
    # undo takes the re-run back in one step, the correction stays
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.project.instance(walker.id).origin == "manual"
