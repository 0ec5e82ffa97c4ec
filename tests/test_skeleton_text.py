"""A skeleton the user defines in File > New (joints, limbs, left/right pairs): read from the text
they type, every mistake named with the item it is in; through the real dialog and menu, a
project labels it, a person added joint by joint is of it, and a COCO export names its category so."""

import json

import pytest

from poseapp.core.skeleton_text import skeleton_from_text

JOINTS = "snout\nleft_ear\nright_ear\nneck\ntail-base\ntail_tip"


def test_the_typed_skeleton_has_its_joints_limbs_and_mirror_pairs():
    sk = skeleton_from_text(" mouse ", JOINTS, "snout-left_ear, snout-right_ear\nsnout - neck\nneck-tail-base\ntail-base-tail_tip",
                            "left_ear-right_ear")
    assert sk.name == "custom:mouse:6" and sk.joints[4] == "tail-base"  # a hyphen inside a joint's name
    assert sk.edges == ((0, 1), (0, 2), (0, 3), (3, 4), (4, 5)) and sk.flip_pairs == ((1, 2),)
    assert sk.flip_permutation() == [0, 2, 1, 3, 4, 5]


@pytest.mark.parametrize("name, joints, limbs, pairs, said", [
    ("", JOINTS, "", "", "needs a name"),
    ("a:b", JOINTS, "", "", "may not hold a colon"),
    ("m", "snout", "", "", "at least two joints"),
    ("m", "snout\nsnout\near", "", "", "'snout' is listed twice"),
    ("m", JOINTS, "snout-tail", "", "the limb 'snout-tail' names no joint 'tail'"),
    ("m", JOINTS, "snout neck", "", "not two joint names joined by a hyphen"),
    ("m", JOINTS, "snout-neck\nneck-snout", "", "the limb 'neck-snout' is listed twice"),
    ("m", JOINTS, "neck-neck", "", "joins 'neck' to itself"),
    ("m", JOINTS, "", "left_ear-right_ear, left_ear-snout", "'left_ear' is in two left/right pairs"),
])
def test_each_mistake_is_named_with_its_item(name, joints, limbs, pairs, said):
    with pytest.raises(ValueError, match=said):
        skeleton_from_text(name, joints, limbs, pairs)


pytest.importorskip("pytestqt")


def test_file_new_defines_a_skeleton_and_the_project_labels_it(window, qtbot, monkeypatch, tmp_path, data_dir):
    from PySide6 import QtCore, QtWidgets

    from poseapp.gui import file_dialogs
    from poseapp.gui.skeleton_dialog import SkeletonDialog
    from test_gui_actions import trigger

    typed = {}

    def type_lines(field, text):
        for n, line in enumerate(text.split("\n")):
            if n:
                qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)
            qtbot.keyClicks(field, line)

    def fill_in(parent=None):
        """The user types into the real dialog: first a limb naming no joint (said, the dialog
        stays open), then the right one, and presses OK."""
        dialog = SkeletonDialog(parent)
        dialog.show()
        qtbot.keyClicks(dialog.name, "mouse")
        type_lines(dialog.joints, "snout\nleft_ear\nright_ear\ntail")
        type_lines(dialog.limbs, "snout-left_ear\nsnout-right_ear\nsnout-tale")
        qtbot.keyClicks(dialog.pairs, "left_ear-right_ear")
        ok = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, QtCore.Qt.MouseButton.LeftButton)
        typed["problem"] = dialog.problem.text()
        assert dialog.isVisible() and dialog.skeleton is None
        dialog.limbs.setPlainText("snout-left_ear\nsnout-right_ear\nsnout-tail")
        qtbot.mouseClick(ok, QtCore.Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()
        return dialog.skeleton

    monkeypatch.setattr(SkeletonDialog, "ask", staticmethod(fill_in))
    monkeypatch.setattr(file_dialogs, "get_save_file_name", lambda *a, **k: (str(tmp_path / "mice.poseapp"), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        staticmethod(lambda parent, title, label, items, *a, **k: (items[-1], True)))
    trigger(window, "new")
    assert "names no joint 'tale'" in typed["problem"]
    project = window.project
    assert project.path == tmp_path / "mice.poseapp"
    sk = project.skeleton(project.annotated_skeleton())
    assert sk.name == "custom:mouse:4" and sk.flip_pairs == ((1, 2),) and len(sk.edges) == 3
    assert "labels mouse (4 joints): 3 limbs, 1 left/right pairs" in window.statusBar().currentMessage()
    # a photo, a person of the new skeleton with N and a drag, and the COCO export names it a mouse
    from test_gui import _drag
    from test_gui_actions import answer_dialogs, import_photo

    fid = import_photo(window, monkeypatch, data_dir / "lsp_train" / "images" / "im0002.jpg")
    width, height = window.project.frame(fid).width, window.project.frame(fid).height
    window.canvas.setFocus()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_N)
    _drag(window, qtbot, (0.2 * width, 0.2 * height), (0.8 * width, 0.8 * height))
    people = window.project.instances(fid)
    assert len(people) == 1 and people[0].skeleton == "custom:mouse:4" and people[0].origin == "manual"
    answer_dialogs(monkeypatch, tmp_path / "mice.json")
    trigger(window, "export")
    data = json.loads((tmp_path / "mice.json").read_text())
    assert [c["name"] for c in data["categories"]] == ["mouse"] and data["categories"][0]["keypoints"] == list(sk.joints)
