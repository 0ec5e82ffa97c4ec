"""A project of COCO-17 people starts with the shipped COCO-17 model, which predicts the face
joints too (issue #28 item 1, issue #26 item 3: the model list says which skeleton each predicts)."""

import pytest

pytest.importorskip("pytestqt")

from conftest import new_window  # noqa: E402
from test_gui_actions import trigger, wait_job  # noqa: E402


def test_a_coco17_project_opens_with_the_coco17_model_and_gets_face_joints(qtbot, tmp_path, data_dir):
    from poseapp.formats import import_source
    from poseapp.store import Project

    path = tmp_path / "coco.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, data_dir / "coco_sample" / "test_coco.json")
    window = new_window(qtbot)
    try:
        assert window.open_project(path)
        box = window.model_panel.model_box
        assert box.currentText().startswith("recurrent-coco17-large") and "coco17" in box.currentText()
        labels = [box.itemText(i) for i in range(box.count())]
        assert any(label.startswith("recurrent-lite") and "lsp14" in label for label in labels)
        frame = window.current_frame_id
        before = {i.id for i in window.project.instances(frame)}
        trigger(window, "run")
        wait_job(window, qtbot)
        new = [i for i in window.project.instances(frame) if i.id not in before]
        assert new and all(i.skeleton == "coco17" and len(i.keypoints) == 17 for i in new)
        assert all((i.keypoints[:5, 2] > 0).all() for i in new)  # nose, eyes and ears predicted
    finally:
        window.close_project()
