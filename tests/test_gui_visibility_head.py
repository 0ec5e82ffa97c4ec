"""Occlusion that means occlusion, in the window (issue #28 item 4): a model with a visibility
head shows its visibility beside the joint score in the joint table, and Accept (A) flags a joint
occluded from that visibility at the threshold the user sets on the Model tab."""

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import import_photo, trigger, wait_job  # noqa: E402
from test_gui_whole_image import PHOTO  # noqa: E402
from poseapp.core.skeleton import preset  # noqa: E402
from poseapp.engine import checkpoint as ckpt  # noqa: E402
from poseapp.models import build_model  # noqa: E402
from poseapp.models.registry import override_config  # noqa: E402

LSP = preset("lsp14")
HIDDEN = [LSP.index("right_ankle"), LSP.index("left_ankle")]  # a mirrored pair, so flip test agrees
UNSURE = [LSP.index("right_wrist"), LSP.index("left_wrist")]


def head_model(folder):
    """The shipped default grown a visibility head that calls both ankles occluded, both wrists
    50/50 and everything else visible, whatever the picture (a trained head's outputs vary; these
    make the window's use of them checkable)."""
    parent, card = ckpt.load_model("models/recurrent-lite")
    model = build_model(override_config(parent.config, visibility_head=True)).eval()
    ckpt.widen_from(model, parent)
    with torch.no_grad():
        model.visibility[2].weight.zero_()
        model.visibility[2].bias.copy_(torch.tensor([-8.0 if j in HIDDEN else 0.0 if j in UNSURE else 8.0 for j in range(14)]))
    folder.mkdir()
    ckpt.save_weights(model, folder)
    ckpt.write_card(folder, ckpt.make_card(model, "lite-with-visibility"))
    return folder


def test_the_joint_table_shows_visibility_and_accept_flags_from_it_at_the_users_threshold(window, qtbot, monkeypatch, data_dir, tmp_path):
    window.model_panel.add_model(head_model(tmp_path / "lite-with-visibility"))
    fid = import_photo(window, monkeypatch, data_dir / PHOTO)
    trigger(window, "run")
    wait_job(window, qtbot)
    pred = next(i for i in window.project.instances(fid) if i.origin == "predicted")
    assert pred.vis_scores is not None and not np.array_equal(pred.vis_scores, pred.joint_scores)
    assert (pred.vis_scores[HIDDEN] < 0.01).all() and pred.vis_scores[UNSURE] == pytest.approx([0.5, 0.5], abs=1e-3)

    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_P)
    table = window.joint_table
    assert not table.isColumnHidden(table.VISIBLE_COLUMN) and table.horizontalHeaderItem(table.VISIBLE_COLUMN).text() == "vis."
    assert table.item(HIDDEN[0], table.VISIBLE_COLUMN).text() == "0.00"
    assert table.item(HIDDEN[0], 4).text() == f"{pred.joint_scores[HIDDEN[0]]:.2f}"  # the score stays its own column

    # threshold 0.6: the 50/50 wrists are called occluded too; Ctrl+Z, threshold 0.4: they are visible
    window.model_panel.occluded_below.setValue(0.6)
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_A)
    person = window.project.instances(fid)[0]
    assert person.origin == "manual" and set(np.flatnonzero(person.keypoints[:, 2] == 1)) == set(HIDDEN + UNSURE)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    window.model_panel.occluded_below.setValue(0.4)
    window.select_joint(next(i for i in window.project.instances(fid) if i.origin == "predicted").id, 0)
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_A)
    person = window.project.instances(fid)[0]
    assert set(np.flatnonzero(person.keypoints[:, 2] == 1)) == set(HIDDEN)
    assert set(person.keypoints[[j for j in range(14) if j not in HIDDEN], 2]) == {2.0}
