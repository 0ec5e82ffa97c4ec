"""LSP's validation images (im0801-im1000) are never trained on, from whatever data they come:
an lsp: folder, a project that imported LSP, or the demo's renamed copies."""

import shutil

from poseapp.data import load_samples
from poseapp.data.splits import is_lsp_validation, training_split
from poseapp.formats import import_source
from poseapp.store import Project


def test_lsp_validation_images_in_a_project_are_held_out_and_the_fine_tune_plan_says_so(tmp_path, lsp_dir):
    from poseapp.engine.finetune_plan import plan_finetune
    from poseapp.engine.zoo import resolve_model

    folder = tmp_path / "lsp"
    (folder / "images").mkdir(parents=True)
    shutil.copy(lsp_dir / "joints.mat", folder / "joints.mat")
    names = [f"im{n:04d}.jpg" for n in list(range(785, 801)) + list(range(801, 805))]
    for name in names:
        shutil.copy(lsp_dir / "images" / name, folder / "images" / name)
    with Project.open(tmp_path / "p.poseapp", create=True) as project:
        import_source(project, folder)
    samples = load_samples(f"project:{tmp_path / 'p.poseapp'}")
    train, val, how = training_split(samples)
    assert sorted(s.image_path.rsplit("/", 1)[-1] for s in val) == names[-4:]  # the LSP protocol, not every 5th
    assert not any(is_lsp_validation(s) for s in train) and len(train) == 16 and how.startswith("LSP")
    plan = plan_finetune(tmp_path / "p.poseapp", resolve_model("default"))
    assert (plan.train, plan.val) == (16, 4) and "LSP training half im0801-im1000" in plan.summary()


def test_lspet_and_other_names_are_not_mistaken_for_lsp_validation(tmp_path):
    from poseapp.data.samples import PoseSample
    import numpy as np

    def sample(path):
        return PoseSample(image_path=path, keypoints=np.zeros((14, 3)), bbox=(0, 0, 1, 1), skeleton="lsp14", key=f"x:{path}#0")

    assert is_lsp_validation(sample("/d/lsp_im0903.jpg")) and is_lsp_validation(sample("/d/images/im0801.jpg"))
    assert not is_lsp_validation(sample("/d/lspet/images/im00801.jpg")) and not is_lsp_validation(sample("/d/myim0801.jpg"))
    assert not is_lsp_validation(sample("/d/im0800.jpg")) and not is_lsp_validation(sample("/d/im1001.jpg"))


def test_the_fewest_people_the_plan_asks_for_give_the_training_and_validation_people_it_names(tmp_path, lsp_dir):
    """The plan's minimum (MIN_TRAINING + MIN_VALIDATION) is what the split makes of it: 11 people
    of no LSP validation image train on 8 and validate on 3; 10 are refused with that arithmetic."""
    from poseapp.engine.finetune_plan import MIN_PEOPLE, MIN_TRAINING, MIN_VALIDATION, plan_finetune
    from poseapp.engine.zoo import resolve_model

    for count in (MIN_PEOPLE, MIN_PEOPLE - 1):
        folder = tmp_path / f"lsp{count}"
        (folder / "images").mkdir(parents=True)
        shutil.copy(lsp_dir / "joints.mat", folder / "joints.mat")
        for n in range(1, count + 1):
            shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", folder / "images" / f"im{n:04d}.jpg")
        with Project.open(tmp_path / f"p{count}.poseapp", create=True) as project:
            import_source(project, folder)
        plan = plan_finetune(tmp_path / f"p{count}.poseapp", resolve_model("default"))
        if count == MIN_PEOPLE:
            assert plan.problem is None and (plan.train, plan.val) == (MIN_TRAINING, MIN_VALIDATION)
        else:
            assert f"at least {MIN_TRAINING + MIN_VALIDATION} annotated" in plan.problem
            assert f"({MIN_TRAINING} to train on and {MIN_VALIDATION} to validate on)" in plan.problem


def test_the_plan_says_when_held_out_people_are_predictions_nobody_corrected(tmp_path, lsp_dir):
    """Validating on accepted predictions no one corrected scores the model against a model: the
    plan says how many held-out people are such (an accepted prediction with no joint placed)."""
    from poseapp.engine.finetune_plan import UNCHECKED, plan_finetune
    from poseapp.engine.zoo import resolve_model
    from poseapp.store.edits import PLACED

    folder = tmp_path / "lsp"
    (folder / "images").mkdir(parents=True)
    shutil.copy(lsp_dir / "joints.mat", folder / "joints.mat")
    for n in range(1, 12):
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", folder / "images" / f"im{n:04d}.jpg")
    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, folder)
        first = next(project.iter_instances())  # im0001's person: the first held out (every 5th by key)
        project.update_instance(first.id, extra={**first.extra, PLACED: []})  # as Accept leaves an unedited prediction
    plan = plan_finetune(path, resolve_model("default"))
    assert plan.val == 3 and plan.val_unchecked == 1
    assert f"1 of the 3 held-out people are {UNCHECKED}" in plan.summary()


def test_coco17_people_teach_an_lsp14_model_by_their_shared_joints(coco_json):
    """The real COCO sample's people, made LSP-14 samples: each limb joint where COCO put it, the
    neck and head top not labelled (left out of the loss and of PCK), and nothing made up."""
    import numpy as np

    from poseapp.core.skeleton import COCO17, LSP14
    from poseapp.data.samples import in_skeleton

    samples = load_samples(f"coco:{coco_json}")
    assert len(samples) >= 5 and {s.skeleton for s in samples} == {"coco17"}
    usable, other, mapped = in_skeleton(samples, "lsp14")
    assert mapped == {"coco17": len(usable)}
    assert all((s.keypoints[5:, 2] == 0).all() for s in other)  # left out only when no limb joint is labelled
    left_out = {id(s) for s in other}
    kept = [s for s in samples if id(s) not in left_out]
    assert len(usable) == len(kept) >= 5
    for before, after in zip(kept, usable):
        assert after.skeleton == "lsp14" and after.keypoints.shape == (14, 3) and after.key == before.key
        for name in LSP14.joints[:12]:
            assert np.array_equal(after.keypoints[LSP14.joints.index(name)], before.keypoints[COCO17.joints.index(name)])
        assert (after.keypoints[12:, 2] == 0).all()  # neck, head top: COCO has neither
    back, _, _ = in_skeleton(usable, "coco17")  # and back: the face was never there, so it stays not labelled
    assert all((b.keypoints[:5, 2] == 0).all() and np.array_equal(b.keypoints[5:], k.keypoints[5:]) for b, k in zip(back, kept))
