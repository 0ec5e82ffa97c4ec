"""File > New project labels the skeleton of a dataset file (issue #26): the choice "From a
dataset..." takes the joints, limbs and flip pairs of a SLEAP .slp, a DeepLabCut config.yaml or a
COCO keypoints JSON, as an import of that file would; a file that is no such dataset is refused
with its name and problem, and no project is made."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtWidgets  # noqa: E402

from test_gui_actions import trigger  # noqa: E402


def choose_in_new_project(monkeypatch, project, dataset, pick=None):
    """The user names the new project, takes the skeleton list's entry ``pick`` (by default
    "From a dataset..."), then the dataset file; the labels offered are kept for the test."""
    from poseapp.gui import file_dialogs

    offered = []

    def get_item(parent, title, label, items, *args, **kwargs):
        offered.extend(items)
        return (items[pick] if pick is not None else next(i for i in items if i.startswith("From a dataset"))), True

    monkeypatch.setattr(file_dialogs, "get_save_file_name", lambda *a, **k: (str(project), ""))
    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *a, **k: (str(dataset), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", staticmethod(get_item))
    return offered


@pytest.mark.parametrize("dataset, joints, limbs, pairs", [
    ("sleap/centered_pair_predictions.slp", 24, 23, 0),  # SLEAP's fly: head ... hindlegR3, no symmetries in the file
    ("dlc/Reaching-Mackenzie-2018-08-30/config.yaml", 5, 2, 0),  # DeepLabCut's mouse: Hand, Finger1, Tongue, Joystick1-2
    ("coco_sample/test_coco.json", 17, 19, 8),  # a COCO keypoints file: COCO-17 with its left/right pairs
])
def test_a_new_project_labels_the_skeleton_of_a_dataset_file(window, monkeypatch, tmp_path, data_dir, dataset, joints,
                                                             limbs, pairs):
    from poseapp.formats import read_source

    offered = choose_in_new_project(monkeypatch, tmp_path / "mine.poseapp", data_dir / dataset)
    trigger(window, "new")
    # after COCO-17, LSP-14, MPII-16; before "Define your own..." (tests/test_skeleton_text.py)
    assert offered[3].startswith("From a dataset") and offered[4].startswith("Define your own") and len(offered) == 5
    assert window.last_error is None and window.project.path == tmp_path / "mine.poseapp"
    assert window.model.rowCount() == 0  # the skeleton only: nothing of the file is imported
    name = window.project.annotated_skeleton()
    skeleton = window.project.skeleton(name)
    assert (skeleton.num_joints, len(skeleton.edges), len(skeleton.flip_pairs)) == (joints, limbs, pairs)
    # exactly what an import of the file stores, so importing it later adds people of this skeleton
    imported = read_source(data_dir / dataset).categories[0][1]
    assert skeleton == imported
    said = window.statusBar().currentMessage()
    assert f"labels the skeleton of {(data_dir / dataset).name}" in said
    # a fly's or a mouse's project: no model predicts it yet, and the model kept from before says what it predicts
    assert ("no model predicts" in said) == (joints != 17), said


def test_shift_n_in_a_new_fly_project_places_the_flys_joints(window, monkeypatch, tmp_path, data_dir, qtbot):
    """The point of it: on the project's first, unlabelled frames, Shift+N places the file's joints."""
    choose_in_new_project(monkeypatch, tmp_path / "flies.poseapp", data_dir / "sleap" / "centered_pair_predictions.slp")
    trigger(window, "new")
    assert window.import_path(data_dir / "sleap" / "centered_pair_low_quality.mp4")  # the video alone, nobody labelled
    window._go_row(0)
    trigger(window, "add_by_joints")
    placing = window._placing
    skeleton = window.project.skeleton(placing["skeleton"])
    assert skeleton.joints[:3] == ("head", "neck", "thorax") and len(placing["keypoints"]) == 24
    assert "head" in window.prompt.text()  # the first joint to place
    window.stop_adding()


def test_n_and_a_box_in_a_new_fly_project_spreads_the_flys_joints_along_its_limbs(window, monkeypatch, tmp_path,
                                                                                    data_dir, qtbot):
    """No fly model yet and nobody labelled: N's box holds the fly's 24 joints laid out along its
    limbs (head on top, each joint near the joints it is joined to), not stacked in a column."""
    import numpy as np

    from test_gui_actions import _drag_on_canvas
    from test_gui_editing import frame_view

    choose_in_new_project(monkeypatch, tmp_path / "flies.poseapp", data_dir / "sleap" / "centered_pair_predictions.slp")
    trigger(window, "new")
    assert window.import_path(data_dir / "sleap" / "centered_pair_low_quality.mp4")
    window._go_row(0)
    monkeypatch.setattr(window.model_panel, "model_path", lambda: None)  # no model of the fly's skeleton
    frame_view(window)
    trigger(window, "add")
    _drag_on_canvas(window, qtbot, (20, 20), (220, 220))
    [fly] = window.project.instances(window.current_frame_id)
    skeleton = window.project.skeleton(fly.skeleton)
    kps = fly.keypoints[:, :2]
    x, y, w, h = fly.bbox
    assert np.all((kps >= (x - 1, y - 1)) & (kps <= (x + w + 1, y + h + 1)))
    assert len({tuple(np.round(p)) for p in kps}) == 24  # no two joints on one spot
    assert np.ptp(kps[:, 0]) > 0.5 * w and np.ptp(kps[:, 1]) > 0.5 * h  # spread across the box, not a column
    head = skeleton.joints.index("head")
    assert kps[head, 1] == kps[:, 1].min()  # the tree hangs from the file's first joint
    limb = np.mean([np.hypot(*(kps[a] - kps[b])) for a, b in skeleton.edges])
    pairs = np.mean([np.hypot(*(kps[a] - kps[b])) for a in range(24) for b in range(a)])
    assert limb < 0.8 * pairs  # joined joints start nearer each other than joints in general
    assert "mean pose" in window.statusBar().currentMessage()


@pytest.mark.parametrize("content, problem", [
    (b"\x89HDF\r\n\x1a\n cut off here", "cannot read it"),  # a .slp cut off (HDF5's signature, then nothing)
    (b"not an hdf5 file", "not a SLEAP file"),
])
def test_a_bad_dataset_file_is_refused_by_name_and_nothing_changes(window, monkeypatch, tmp_path, content, problem):
    demo = window.project.path
    bad = tmp_path / "labels.slp"
    bad.write_bytes(content)
    choose_in_new_project(monkeypatch, tmp_path / "new.poseapp", bad)
    trigger(window, "new")
    assert str(bad) in window.last_error and problem in window.last_error and "No project was created" in window.last_error
    assert window.project.path == demo and not (tmp_path / "new.poseapp").exists()


def test_a_file_with_no_skeleton_of_its_own_is_refused(window, monkeypatch, tmp_path, data_dir):
    demo = window.project.path
    choose_in_new_project(monkeypatch, tmp_path / "new.poseapp", data_dir / "lsp_train" / "joints.mat")
    trigger(window, "new")
    assert "joints.mat: this LSP joints.mat file carries no skeleton of its own" in window.last_error
    assert window.project.path == demo and not (tmp_path / "new.poseapp").exists()


def test_cancelling_the_dataset_dialog_makes_no_project(window, monkeypatch, tmp_path):
    demo = window.project.path
    choose_in_new_project(monkeypatch, tmp_path / "new.poseapp", "")
    trigger(window, "new")
    assert window.project.path == demo and not (tmp_path / "new.poseapp").exists() and window.last_error is None


def test_a_new_project_after_a_video_shows_no_seek_bar_timeline_or_run_warning_of_the_last_one(window, monkeypatch,
                                                                                               tmp_path, qtbot):
    """File > New while a video with tracked walkers is shown: the new, empty project must not keep
    the closed project's seek bar (its frame count), track timeline or Model tab warning; jumping
    to a frame number then counts rows of the new project's list, not frames of a source it lacks."""
    source = next(s for s in window.project.sources() if s.kind == "video")
    frame = window.project.frame_by_index(source.id, 3)
    window._go_row(window.model.row_of(frame.id))
    qtbot.waitUntil(lambda: window.seek_bar.isVisible())
    window.model_panel.show_warning("4 people are too small for the model (e.g. 44 px in pedestrians.mp4 frame 3)")
    def get_item(parent, title, label, items, *args, **kwargs):
        return items[0], True  # COCO-17

    from poseapp.gui import file_dialogs

    monkeypatch.setattr(file_dialogs, "get_save_file_name", lambda *a, **k: (str(tmp_path / "empty.poseapp"), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", staticmethod(get_item))
    trigger(window, "new")
    assert window.project.path == tmp_path / "empty.poseapp" and window.project.frame_count() == 0
    assert not window.seek_bar.isVisible()
    assert not window.seek_bar.timeline.rows and not window.seek_bar.timeline.isVisible()
    assert not window.seek_bar.play_button.isChecked() and not window._in_video()
    assert not window.model_panel.warning.isVisible()


def test_a_project_of_a_custom_skeleton_opens_with_the_users_model_of_that_skeleton(window, tmp_path, data_dir, monkeypatch):
    """After a fly model was fine-tuned (it lands in the user's models), reopening the fly project
    (or making another) selects it instead of keeping a model of people."""
    from test_eval_custom_skeleton import mouse_project, transferred_model

    from poseapp.core.paths import data_home
    from poseapp.engine.zoo import model_for_skeleton

    skeleton = mouse_project(tmp_path / "mouse.poseapp", data_dir)
    assert model_for_skeleton(skeleton.name) is None  # nobody made a mouse model yet
    mine = transferred_model(data_home() / "models" / "mouse-model", skeleton)
    assert model_for_skeleton(skeleton.name) == mine
    assert window.open_project(tmp_path / "mouse.poseapp")
    assert window.model_panel.model_path() == str(mine)


def test_a_people_models_prediction_in_a_mouse_project_is_not_accepted_into_a_second_skeleton(window, qtbot, tmp_path,
                                                                                               data_dir, tiny_model):
    """A model of people run on DeepLabCut's mouse frames: the panel says the skeletons share too
    few joints to accept, and A on a prediction says why and writes nothing (before, it made the
    prediction an LSP-14 annotation beside the mouse's: a second skeleton in the project's export)."""
    from PySide6 import QtCore

    from test_eval_custom_skeleton import mouse_project
    from test_gui_actions import predicted, wait_job

    mouse_project(tmp_path / "mouse.poseapp", data_dir)
    assert window.open_project(tmp_path / "mouse.poseapp")
    window.model_panel.add_model(tiny_model)  # an LSP-14 model
    window._go_row(0)
    trigger(window, "run")
    wait_job(window, qtbot)
    fid = window.current_frame_id
    assert predicted(window) and "too few to accept" in window.model_panel.warning.text()
    assert "Hand" not in window.model_panel.warning.text() and "custom:" not in window.model_panel.warning.text()
    before = {i.id: (i.origin, i.skeleton) for i in window.project.instances(fid)}
    window.select_joint(predicted(window)[0].id, 0)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_A)
    assert "cannot be accepted" in window.statusBar().currentMessage()
    assert {i.id: (i.origin, i.skeleton) for i in window.project.instances(fid)} == before
    assert window.project.annotated_skeletons() == {window.project.annotated_skeleton()}
    assert not window.undo_stack.canUndo() or window.undo_stack.undoText() != "accept prediction"
