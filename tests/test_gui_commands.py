"""The store's edits, without Qt: each applies in one commit and its revert restores the whole
previous record (and the frame's state), so the undo stack over them can trust a revert."""

import numpy as np
import pytest

from poseapp.demo import ensure_demo_project
from poseapp.store import Instance, Project
from poseapp.store.edits import (
    AcceptPrediction, AddInstance, DeleteInstance, MoveKeypoint, NudgeKeypoint, RemoveFrames, SetBox, SetFrameState,
    SetVisibility,
)


def snapshot(project):
    return [(f, project.frame(f).state, [(i.id, i.keypoints.tolist(), i.bbox, i.origin, i.model_id)
                                         for i in project.instances(f)]) for f in project.frame_ids()]


def test_every_edit_reverts_to_the_whole_previous_record(tmp_path):
    with Project.open(ensure_demo_project(tmp_path)) as project:
        fid = project.frame_ids()[0]
        inst = project.instances(fid)[0]
        pred = project.add_instance(Instance(fid, "lsp14", inst.keypoints + [2, 2, 0], bbox=inst.bbox, origin="predicted",
                                             model_id="m", vis_scores=np.linspace(0, 1, 14)))
        edits = [
            MoveKeypoint(project, inst.id, 0, 5.0, 6.0), NudgeKeypoint(project, inst.id, 1, 1.0, 0.0),
            SetVisibility(project, inst.id, 2, 0), SetBox(project, inst.id, (1, 2, 30, 40)),
            AcceptPrediction(project, pred.id, 0.3), DeleteInstance(project, inst.id),
            AddInstance(project, fid, "lsp14", (10, 10, 50, 100)), SetFrameState(project, fid, "reviewed"),
            RemoveFrames(project, project.frame_ids()[:3], "remove 3 frames"),
        ]
        for edit in edits:
            before = snapshot(project)
            edit.apply()
            assert snapshot(project) != before, edit.text
            edit.revert()
            assert snapshot(project) == before, edit.text


def test_mean_pose_for_lsp_coco_and_a_custom_skeleton():
    from poseapp.core.mean_pose import mean_pose, project_mean_pose
    from poseapp.core.skeleton import PRESETS

    for name in ("lsp14", "coco17"):
        joints = PRESETS[name].joints
        pose = mean_pose(joints)
        head = pose[joints.index("nose" if name == "coco17" else "head_top")]
        assert head[1] < pose[joints.index("left_ankle"), 1] - 0.8  # upright in the box
        assert pose[joints.index("right_wrist"), 0] < pose[joints.index("left_wrist"), 0]  # facing the camera
    custom = ("snout", "left_ear", "right_ear", "tail_base", "tail_tip")
    pose = mean_pose(custom)
    assert pose[1] == pytest.approx((0.57, 0.08)) and np.all((pose >= 0) & (pose <= 1))  # known names placed
    assert len({tuple(p) for p in pose}) == 5  # the unknown ones spread down the box, not on one spot
    # with enough annotations of that skeleton in the project, their typical pose wins
    kps = np.array([[10, 10, 2], [20, 10, 2], [0, 0, 2], [15, 40, 2], [15, 90, 2]], float)
    learnt = mean_pose(custom, project_mean_pose([kps] * 5, [(0, 0, 30, 100)] * 5))
    assert learnt[4] == pytest.approx((0.5, 0.9)) and learnt[0] == pytest.approx((1 / 3, 0.1))
    # one person is not enough to go by: the known names keep the standing pose
    assert mean_pose(custom, project_mean_pose([kps], [(0, 0, 30, 100)]))[1] == pytest.approx((0.57, 0.08))
    # a person upside down and one lying among five upright ones: the start stays upright (a mean folded it)
    upside_down = kps.copy()
    upside_down[:, 1] = 100 - kps[:, 1]
    lying = kps[:, [1, 0, 2]] * (1, 0.3, 1)
    typical = mean_pose(custom, project_mean_pose([kps] * 4 + [upside_down, lying], [(0, 0, 30, 100)] * 6))
    assert typical[0, 1] < typical[4, 1] - 0.5 and typical[4] == pytest.approx((0.5, 0.9))


def test_undo_restores_every_field_of_the_record(project):
    """Category, dataset id, scores and extra fields come back too, not only what the edit touched."""
    import numpy as np

    from poseapp.core.skeleton import LSP14
    from poseapp.store import Instance
    from poseapp.store.edits import SetBox

    project.ensure_skeleton(LSP14)
    src = project.add_source("folder", project.path.parent)
    [fid] = project.add_frames(src.id, [(0, "a.jpg", 64, 64, None, {})])
    original = project.add_instance(Instance(
        fid, "lsp14", np.ones((14, 3)), bbox=(1, 2, 30, 40), category_id=7, ext_id=4242, extra={"note": "kept"},
    ))
    edit = SetBox(project, original.id, (5, 5, 10, 10))
    edit.apply()
    project.update_instance(original.id, frame_state=None, category_id=None, ext_id=None, extra={})  # drifts
    edit.revert()
    back = project.instance(original.id)
    assert (back.bbox, back.category_id, back.ext_id, back.extra) == ((1, 2, 30, 40), 7, 4242, {"note": "kept"})
