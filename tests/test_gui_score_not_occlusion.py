"""A joint the model is unsure of is not an occluded joint (issue #25 item 4): a model that
predicts no occlusion (the cascade `part_regression-lite`; the defaults have visibility heads now,
tests/test_gui_visibility_head.py) gives predictions, Accepts and a results export that flag every
predicted joint visible, and the joint table shows one number per joint, the score."""

import json

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import answer_dialogs, import_photo, trigger, wait_job  # noqa: E402
from test_gui_whole_image import PHOTO  # noqa: E402


def test_low_scores_are_not_called_occluded_anywhere(window, qtbot, monkeypatch, data_dir, tmp_path):
    fid = import_photo(window, monkeypatch, data_dir / PHOTO)
    box = window.model_panel.model_box  # the user picks the cascade in the model list
    box.setCurrentIndex(next(i for i in range(box.count()) if box.itemText(i).startswith("part_regression-lite")))
    trigger(window, "run")
    wait_job(window, qtbot)
    pred = next(i for i in window.project.instances(fid) if i.origin == "predicted")
    assert pred.joint_scores.min() < 0.5  # unsure of some joints: Accept called those occluded (below 0.5)
    assert pred.vis_scores is None and set(pred.keypoints[:, 2]) == {2.0}

    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_P)  # the person's joints in the table
    table = window.joint_table
    assert table.horizontalHeaderItem(4).text() == "score" and table.isColumnHidden(table.VISIBLE_COLUMN)

    out = tmp_path / "results.json"
    answer_dialogs(monkeypatch, out)
    trigger(window, "export_results")
    records = [r for r in json.loads(out.read_text()) if r["score"] is not None]
    flags = np.concatenate([np.array(r["keypoints"]).reshape(-1, 3)[:, 2] for r in records])
    assert len(flags) and set(flags) == {2}

    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_A)  # accepted: still nobody's joint is 'occluded'
    person = window.project.instances(fid)[0]
    assert person.origin == "manual" and set(person.keypoints[:, 2]) == {2.0}
