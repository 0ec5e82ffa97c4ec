"""A photo where the people detector finds nobody (issue #25 item 2): the window says the pose is
a guess in the whole image, on the frame and in the status line, and the person accepted from it
is exported with a box around their joints, not the whole picture."""

import json

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import answer_dialogs, trigger, wait_job  # noqa: E402

# a COCO photo (640 x 422, 4 people labelled); the user asks the detector for certainty it never
# has (the People row's score threshold at its top), so it finds nobody whatever its weights
PHOTO = "coco_mini_train/images/000000000790.jpg"


def test_a_whole_image_guess_is_said_and_its_accepted_person_gets_a_box_around_the_joints(window, qtbot, monkeypatch, data_dir, tmp_path):
    photo = data_dir / PHOTO
    answer_dialogs(monkeypatch, photo)
    trigger(window, "import")
    fid = next(f for f in window.project.frame_ids() if (window.project.frame(f).file_name or "").endswith("000000000790.jpg"))
    window._go_frame(fid)  # the user clicks it in the frame list
    frame = window.project.frame(fid)
    score = window.model_panel.min_score
    score.setValue(score.maximum())
    trigger(window, "run")
    wait_job(window, qtbot)
    said = window.statusBar().currentMessage()
    assert "nobody was found and the whole image was used" in said, said
    note = window.canvas.whole_image_note
    assert note is not None and note.isVisible() and "No person found" in note.textItem.toPlainText()

    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_A)  # accept the one prediction
    person = window.project.instances(frame.id)[0]
    assert person.origin == "manual"
    out = tmp_path / "out.json"
    answer_dialogs(monkeypatch, out)
    trigger(window, "export")
    exported = json.loads(out.read_text())
    image = next(i for i in exported["images"] if i["file_name"].endswith("000000000790.jpg"))
    ann = next(a for a in exported["annotations"] if a["image_id"] == image["id"])
    x, y, w, h = ann["bbox"]
    kps = np.array(ann["keypoints"], float).reshape(-1, 3)
    labelled = kps[kps[:, 2] > 0, :2]
    assert (w, h) != (frame.width, frame.height) and w * h < 0.9 * frame.width * frame.height
    # the box holds every labelled joint, with a margin, and follows them
    assert x < labelled[:, 0].min() and x + w > labelled[:, 0].max()
    assert y < labelled[:, 1].min() and y + h > labelled[:, 1].max()
    assert ann["area"] == pytest.approx(w * h, rel=1e-3)
