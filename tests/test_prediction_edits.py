"""A user's edit of a model's prediction is never lost: it makes the prediction the user's
annotation (or, where the frame already has that person annotated, a prediction marked edited),
and a later model run on the frame keeps it. Ids are never reused, so an undo step that names a
deleted record can never reach a new one."""

import numpy as np
import pytest

from poseapp.core.skeleton import COCO17, LSP14
from poseapp.store import Instance, Project
from poseapp.store.removal import remove_frames, restore
from poseapp.store.edits import (
    AcceptPrediction, DeleteInstance, MoveKeypoint, NudgeKeypoint, Refinement, SetBox, SetVisibility, placed_joints,
)


def _frame(project, n=1):
    src = project.add_source("folder", "/data/a")
    return project.add_frames(src.id, [(i, f"im{i}.jpg", 200, 200, None, {}) for i in range(n)])


def _person(k=14, x0=50.0):
    kps = np.zeros((k, 3))
    kps[:, 0] = x0 + np.arange(k) * 3.0
    kps[:, 1] = 40 + np.arange(k) * 7.0
    kps[:, 2] = 2
    return kps


def _prediction(project, fid, model_id="m"):
    return project.add_instance(Instance(
        frame_id=fid, skeleton="lsp14", keypoints=_person(), bbox=(40, 30, 60, 110), origin="predicted",
        model_id=model_id, joint_scores=np.full(14, 0.5), vis_scores=np.full(14, 0.9)))


@pytest.fixture
def project(tmp_path):
    with Project.open(tmp_path / "p.poseapp", create=True) as p:
        p.ensure_skeleton(LSP14)
        p.ensure_skeleton(COCO17)
        yield p


@pytest.mark.parametrize("make", [
    lambda p, i: MoveKeypoint(p, i, 3, 70.0, 90.0, "left_hip"),
    lambda p, i: NudgeKeypoint(p, i, 3, 1.0, 0.0, "left_hip"),
    lambda p, i: SetVisibility(p, i, 3, 1, "left_hip"),
    lambda p, i: SetBox(p, i, (35, 25, 70, 120)),
])
def test_an_edit_makes_a_prediction_the_users_annotation_and_undo_takes_it_back(project, make):
    fid = _frame(project)[0]
    pred = _prediction(project, fid)
    edit = make(project, pred.id)
    edit.apply()
    now = project.instance(pred.id)
    assert now.origin == "manual" and now.model_id == "m"  # where it came from stays on record
    assert placed_joints(now) <= {3}  # the joints the user did not place stay free for refinement
    assert now.joint_scores is not None
    edit.revert()
    assert project.instance(pred.id).origin == "predicted"


def test_the_models_own_refinement_does_not_claim_a_prediction(project):
    fid = _frame(project)[0]
    pred = _prediction(project, fid)
    edit = Refinement(project, pred.id)
    edit.amend("refine person", keypoints=_person(x0=52.0))
    edit.apply()
    assert project.instance(pred.id).origin == "predicted"


def test_merged_nudges_redo_the_claim_too(project):
    fid = _frame(project)[0]
    pred = _prediction(project, fid)
    first = NudgeKeypoint(project, pred.id, 3, 1.0, 0.0)
    first.apply()
    second = NudgeKeypoint(project, pred.id, 3, 1.0, 0.0)  # made on the claimed record
    second.apply()
    assert first.merge(second)
    first.revert()
    assert project.instance(pred.id).origin == "predicted"
    first.apply()  # redo of the merged step
    redone = project.instance(pred.id)
    assert redone.origin == "manual" and redone.keypoints[3, 0] == pytest.approx(_person()[3, 0] + 2)


def test_with_the_person_annotated_already_an_edited_prediction_stays_one_marked_edited(project):
    fid = _frame(project)[0]
    gt = project.add_instance(Instance(frame_id=fid, skeleton="coco17", keypoints=_person(17), bbox=(40, 30, 60, 110)))
    pred = _prediction(project, fid)
    MoveKeypoint(project, pred.id, 3, 70.0, 90.0).apply()
    now = project.instance(pred.id)
    assert now.origin == "predicted" and now.extra["edited"] is True and now.extra["placed"] == [3]
    assert [i.id for i in project.instances(fid) if i.origin == "manual"] == [gt.id]  # no second copy
    accept = AcceptPrediction(project, pred.id)
    assert accept.target is not None and accept.target.id == gt.id  # accepted into it, not beside it


def test_accepting_an_lsp_prediction_on_a_coco_person_fills_the_shared_joints_and_undo_restores_both(project):
    fid = _frame(project)[0]
    face = _person(17)
    face[5:, 2] = 1  # the body joints occluded in the annotation, the face visible
    gt = project.add_instance(Instance(frame_id=fid, skeleton="coco17", keypoints=face, bbox=(40, 30, 60, 110),
                                       extra={"placed": [0, 1, 2, 3, 4, 9]}))
    pred = _prediction(project, fid)
    MoveKeypoint(project, pred.id, 6, 77.0, 88.0).apply()  # the user dragged the right wrist
    pred = project.instance(pred.id)
    accept = AcceptPrediction(project, pred.id)
    # the dragged wrist, and the model's joints where the annotation's were a model's (not placed);
    # the left wrist a person placed stays as it was
    assert ("accept your correction (1 joint) into the COCO-17 annotation, and the model's 10 where it had a model's; "
            "the joints a person labelled stay") == accept.text
    accept.apply()
    now = project.instances(fid)
    assert [i.id for i in now] == [gt.id]  # one person, in the dataset's skeleton
    merged = now[0]
    lsp, coco = LSP14.joints, COCO17.joints
    for i, name in enumerate(lsp[:12]):
        j = coco.index(name)
        if name == "left_wrist":
            assert np.array_equal(merged.keypoints[j], face[j])  # a person's label: untouched
            continue
        assert merged.keypoints[j, :2] == pytest.approx(pred.keypoints[i, :2])
        assert merged.keypoints[j, 2] == 2  # the model's visibility score 0.9: visible
    assert np.array_equal(merged.keypoints[:5], face[:5])  # the face untouched
    # the face and the left wrist stay placed; the right wrist the user dragged is placed; the model's joints are free
    assert merged.extra["placed"] == [0, 1, 2, 3, 4, 9, coco.index("right_wrist")]
    accept.revert()
    assert {i.id: i for i in project.instances(fid)}.keys() == {gt.id, pred.id}
    for record in (gt, pred):
        back = project.instance(record.id)
        assert np.array_equal(back.keypoints, record.keypoints) and back.extra == record.extra
        assert (back.origin, back.skeleton, back.bbox, back.model_id) == (record.origin, record.skeleton, record.bbox, record.model_id)


def test_a_prediction_sharing_too_few_joints_with_the_projects_skeleton_is_not_accepted(project):
    """Accepting it would give the project a second skeleton (its export a second category, and
    fine-tuning would skip the person): refused, saying why, with nothing changed."""
    from poseapp.core.skeleton import Skeleton

    hand = Skeleton(name="hand5", joints=("right_wrist", "thumb", "index", "middle", "ring"), edges=((0, 1),))
    project.ensure_skeleton(hand)
    fid = _frame(project)[0]
    project.add_instance(Instance(frame_id=fid, skeleton="hand5", keypoints=_person(5), bbox=(40, 30, 60, 110)))
    pred = _prediction(project, fid)
    before = {i.id: i for i in project.instances(fid)}
    accept = AcceptPrediction(project, pred.id)
    assert accept.target is None and accept.new_person is None
    assert "LSP-14 prediction cannot be accepted" in accept.refusal and "share 1 joint by name" in accept.refusal
    with pytest.raises(ValueError, match="cannot be accepted"):
        accept.apply()
    after = {i.id: i for i in project.instances(fid)}
    assert after.keys() == before.keys() and all(after[k].origin == before[k].origin for k in after)


def test_a_prediction_of_a_skeleton_the_project_has_annotated_is_accepted_beside_another(project):
    """A project labelled in two skeletons (a person and their hand): accepting an LSP-14 prediction
    over a hand5 annotation keeps both, as the project has LSP-14 people already."""
    from poseapp.core.skeleton import Skeleton

    hand = Skeleton(name="hand5", joints=("right_wrist", "thumb", "index", "middle", "ring"), edges=((0, 1),))
    project.ensure_skeleton(hand)
    fid, other = _frame(project, 2)
    project.add_instance(Instance(frame_id=fid, skeleton="hand5", keypoints=_person(5), bbox=(40, 30, 60, 110)))
    project.add_instance(Instance(frame_id=other, skeleton="lsp14", keypoints=_person(14), bbox=(40, 30, 60, 110)))
    pred = _prediction(project, fid)
    accept = AcceptPrediction(project, pred.id)
    assert accept.refusal is None and "hand5 annotation of this person is kept too" in accept.text
    accept.apply()
    assert {i.skeleton for i in project.instances(fid) if i.origin == "manual"} == {"hand5", "lsp14"}


def test_ids_are_never_reused_after_the_newest_record_is_deleted(project, tmp_path):
    fid = _frame(project, 2)[0]
    pred = _prediction(project, fid)
    delete = DeleteInstance(project, pred.id)
    delete.apply()
    newer = _prediction(project, fid)
    assert newer.id != pred.id
    delete.revert()  # the undo of the delete puts the old record back under its own id
    assert {i.id for i in project.instances(fid)} == {pred.id, newer.id}
    project.delete_instance(newer.id)
    path = project.path
    project.close()
    with Project.open(path) as again:  # the mark survives reopening
        assert _prediction(again, fid).id > newer.id


def test_frame_ids_are_never_reused_so_undoing_a_removal_still_works_after_an_import(project):
    frames = _frame(project, 3)
    removed = remove_frames(project, [frames[-1]])
    src = project.add_source("folder", "/data/b")
    added = project.add_frames(src.id, [(0, "new.jpg", 50, 50, None, {})])
    assert added[0] not in frames
    restore(project, removed)
    assert set(frames) | set(added) == set(project.frame_ids())


def test_a_prediction_edited_before_the_mark_existed_counts_as_edited():
    from poseapp.store.edits import is_edited_prediction

    old = Instance(frame_id=1, skeleton="lsp14", keypoints=_person(), origin="predicted", extra={"placed": [3]})
    assert is_edited_prediction(old)
    assert not is_edited_prediction(old.copy(extra={})) and not is_edited_prediction(old.copy(origin="manual"))


def _run(project, fid, replaced):
    """What predict_frames does to a frame: the model's earlier prediction out, a new one in."""
    old_state = project.frame(fid).state
    gone = [project.delete_instance(r.id, frame_state=None) for r in replaced]
    return (fid, old_state, gone, [_prediction(project, fid)])


def test_a_model_run_undoes_to_the_very_records_it_replaced_and_redoes_without_the_model(project):
    from poseapp.store.edits import ModelRun

    fids = _frame(project, 2)
    before = [_prediction(project, fid) for fid in fids]
    states = [project.frame(fid).state for fid in fids]
    run = ModelRun(project, "model run", [_run(project, fid, [b]) for fid, b in zip(fids, before)])
    after = [project.instances(fid)[0] for fid in fids]
    run.revert()
    for fid, b, state in zip(fids, before, states):
        (back,) = project.instances(fid)
        assert back.same_as(b) and project.frame(fid).state == state
    run.apply()
    for fid, a in zip(fids, after):
        (again,) = project.instances(fid)
        assert again.same_as(a)


def test_undoing_a_run_keeps_a_prediction_the_user_edited_while_the_run_went_on(project):
    from poseapp.store.edits import ModelRun

    fid = _frame(project)[0]
    before = _prediction(project, fid)
    run = ModelRun(project, "model run", [_run(project, fid, [before])])
    new = project.instances(fid)[0]
    edit = MoveKeypoint(project, new.id, 2, 60.0, 60.0, "right_knee")
    edit.apply()  # made during the run, so below it on the undo stack
    run.revert()
    ids = {i.id for i in project.instances(fid)}
    assert ids == {before.id, new.id}  # the user's edit stays; the replaced prediction is back beside it
    assert project.instance(new.id).keypoints[2, 0] == 60.0


@pytest.mark.parametrize("annotated_in", [None, "coco17"])
def test_a_flag_the_user_set_on_a_prediction_survives_accepting_it(project, annotated_in):
    """The model's visibility score (0.9: visible) decides the flags of the joints nobody looked
    at; the one the user set to occluded stays occluded, as a plain accept and as a merge."""
    fid = _frame(project)[0]
    if annotated_in:
        project.add_instance(Instance(frame_id=fid, skeleton=annotated_in, keypoints=_person(17), bbox=(40, 30, 60, 110)))
    pred = _prediction(project, fid)
    SetVisibility(project, pred.id, LSP14.joints.index("left_wrist"), 1).apply()
    accept = AcceptPrediction(project, pred.id)
    accept.apply()
    person = next(i for i in project.instances(fid) if i.origin == "manual")
    names = project.skeleton(person.skeleton).joints
    assert person.keypoints[names.index("left_wrist"), 2] == 1
    assert person.keypoints[names.index("right_wrist"), 2] == 2


def test_accepting_an_lsp_prediction_of_an_unannotated_person_on_a_coco_frame_makes_a_coco_annotation(project):
    fid = _frame(project)[0]
    other = project.add_instance(Instance(frame_id=fid, skeleton="coco17", keypoints=_person(17, x0=400.0),
                                          bbox=(390, 30, 60, 110), category_id=1))
    pred = project.update_instance(_prediction(project, fid).id, extra={"track_id": 7})  # nobody annotated where it is
    accept = AcceptPrediction(project, pred.id)
    assert "as a new COCO-17 annotation, as this frame's people are (12 of 14 joints by name" in accept.text
    accept.apply()
    new = next(i for i in project.instances(fid) if i.id != other.id)
    assert [i.skeleton for i in project.instances(fid)] == ["coco17", "coco17"] and pred.id != new.id
    assert new.origin == "manual" and new.category_id == 1 and (new.keypoints[:5, 2] == 0).all()
    assert new.extra["track_id"] == 7  # the walker keeps their id in a video
    for i, name in enumerate(LSP14.joints[:12]):
        assert new.keypoints[COCO17.joints.index(name), :2] == pytest.approx(pred.keypoints[i, :2])
    accept.revert()
    assert {i.id for i in project.instances(fid)} == {other.id, pred.id}
    accept.apply()  # redo: the same record, under the same id
    assert {i.id for i in project.instances(fid)} == {other.id, new.id}


def test_a_joint_set_not_labelled_and_back_stays_where_the_user_left_it(project):
    """Drag, then 0, then 2: the joint is the user's again at the dragged place, so a refinement
    (which moves only joints nobody placed) leaves it there."""
    fid = _frame(project)[0]
    pred = _prediction(project, fid)
    MoveKeypoint(project, pred.id, 6, 77.0, 88.0).apply()
    SetVisibility(project, pred.id, 6, 0).apply()
    assert 6 not in placed_joints(project.instance(pred.id))
    SetVisibility(project, pred.id, 6, 2).apply()
    now = project.instance(pred.id)
    assert 6 in placed_joints(now) and tuple(now.keypoints[6]) == (77.0, 88.0, 2.0)


def test_accepting_a_corrected_prediction_over_an_imported_annotation_writes_only_the_corrected_joints(project):
    """A window walk: one drag on a prediction over a COCO person (refinement then moved a dozen of
    the model's joints), A, and every labelled joint of the person was the model's, flags and all,
    and joints the annotator left unlabelled were labelled. Now only the dragged joint goes in."""
    fid = _frame(project)[0]
    labels = _person(14, x0=52.0)
    labels[[3, 10], 2] = 0  # not labelled by the annotator
    labels[[0, 1], 2] = 1  # occluded
    gt = project.add_instance(Instance(frame_id=fid, skeleton="lsp14", keypoints=labels, bbox=(40, 30, 60, 110)))
    pred = _prediction(project, fid)
    MoveKeypoint(project, pred.id, 6, 77.0, 88.0).apply()
    pred = project.instance(pred.id)
    assert pred.origin == "predicted"  # it lies on the annotated person: it stayed a prediction
    accept = AcceptPrediction(project, pred.id)
    assert accept.text.startswith("accept your correction (1 joint) into the LSP-14 annotation;")
    accept.apply()
    now = project.instances(fid)
    assert [i.id for i in now] == [gt.id]
    expected = labels.copy()
    expected[6] = (77.0, 88.0, 2)
    np.testing.assert_array_equal(now[0].keypoints, expected)
    accept.revert()
    assert {i.id for i in project.instances(fid)} == {gt.id, pred.id}
    np.testing.assert_array_equal(project.instance(gt.id).keypoints, labels)
