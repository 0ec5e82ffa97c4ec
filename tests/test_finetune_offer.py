"""The fine-tuning plan states its offer outright when the project labels another skeleton than the
model's (issue #26): "A COCO-17 model for this project, started from recurrent-lite (LSP-14): 5
new joints (...) start fresh; 12 kept from recurrent-lite", the new joints with too few labels to
learn, and the time per epoch here, measured by a few real training steps (never guessed). The
CLI prints the same plan."""

import json

import pytest
import torch

from poseapp.core.skeleton import skeleton_title


@pytest.fixture
def coco_project(tmp_path, coco_json):
    """The COCO sample's 12 people with keypoints, in a project (closed again)."""
    from poseapp.formats import import_source
    from poseapp.store import Project

    path = tmp_path / "coco.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, coco_json)
    return path


def test_the_plan_offers_a_coco17_model_from_the_lsp14_default_and_times_its_epoch(coco_project):
    from poseapp.engine.finetune_plan import FEW_LABELS, plan_finetune
    from poseapp.engine.zoo import default_model_name, resolve_model

    model = default_model_name()
    plan = plan_finetune(coco_project, resolve_model("default"), batch_size=4, threads=1, measure=True)
    summary = plan.summary()
    assert (f"A COCO-17 model for this project, started from {model} (LSP-14): 5 new joints (nose, left_eye, "
            f"right_eye, left_ear, right_ear) start fresh; 12 kept from {model}.") in summary
    # each new joint with its labelled people: the sample labels every face joint fewer than 20 times
    labels = plan.joint_labels
    assert all(labels[j] < FEW_LABELS for j in plan.new_joints)
    assert (f"Too few labels to learn (under {FEW_LABELS} labelled people each): nose ({labels['nose']}), "
            f"left_eye ({labels['left_eye']})") in summary
    assert "left_shoulder (" not in summary  # a kept joint adapts what the model knows: not listed
    # measured here: a real step of 4 people takes a CPU a while, and the epoch is its 9 people's steps plus validation
    timing = plan.timing
    assert timing is not None and plan.timing_problem is None
    assert (timing.batch_size, timing.threads, timing.device) == (4, 1, "cpu") and 0.01 < timing.step_s < 60
    assert plan.epoch_seconds() == pytest.approx(plan.train / 4 * timing.step_s + (plan.val + plan.train) * timing.eval_s)
    assert f"Time per epoch on this CPU: about {plan.epoch_seconds():.0f} s ({plan.train} people in 3 steps: " \
           f"{timing.step_s:.2f} s a step of 4, measured here with 1 thread" in summary


def test_a_plan_of_the_models_own_skeleton_makes_no_offer(coco_project):
    from poseapp.engine.finetune_plan import plan_finetune
    from poseapp.engine.zoo import SHIPPED

    plan = plan_finetune(coco_project, SHIPPED / "recurrent-coco17-lite")
    assert plan.transfer_from is None and "model for this project" not in plan.summary()
    assert "Time per epoch" not in plan.summary()  # not asked to measure: nothing said about it


def test_skeleton_titles():
    assert [skeleton_title(n) for n in ("coco17", "lsp14", "mpii16")] == ["COCO-17", "LSP-14", "MPII-16"]
    assert skeleton_title("custom:Skeleton-0:24") == "Skeleton-0 (24 joints)" and skeleton_title("odd") == "odd"


def test_poseapp_finetune_plan_only_prints_the_offer_and_the_measured_epoch_and_trains_nothing(coco_project, tmp_path,
                                                                                            capsys):
    from poseapp.cli import main
    from poseapp.engine.zoo import default_model_name

    out = tmp_path / "never"
    # (--background, the window's way, would lower this test process's priority for good: the
    # Retrain tab's test runs it in a process of its own)
    assert main(["finetune", "--model", default_model_name(), "--project", str(coco_project), "--plan-only",
                 "--batch-size", "4", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    plan = json.loads(lines[0])
    assert len(lines) == 1 and plan["event"] == "plan" and not out.exists()
    assert f"A COCO-17 model for this project, started from {default_model_name()} (LSP-14)" in plan["summary"]
    assert plan["timing"]["threads"] == torch.get_num_threads() and plan["timing"]["batch_size"] == 4
    assert f"Time per epoch on this CPU: about {plan['epoch_s']:.0f} s" in plan["summary"]


def test_finetune_from_the_default_starts_a_coco17_project_from_the_shipped_coco17_model(coco_project, capsys):
    from poseapp.cli import main
    from poseapp.engine.zoo import default_model_for

    assert main(["finetune", "--model", "default", "--project", str(coco_project), "--plan-only", "--batch-size", "4"]) == 0
    plan = json.loads(capsys.readouterr().out.splitlines()[0])["summary"]
    # the same skeleton: nothing to transfer, every joint (the face too) starts trained
    assert default_model_for("coco17") is not None and "new joints" not in plan


def test_the_default_epochs_give_a_small_project_enough_steps():
    from poseapp.engine.finetune_plan import auto_epochs

    # coco_mini_train's 69 training people: 5 steps an epoch, 30 epochs = 150 steps (what measured
    # best, bench/RESULTS.md); a large project keeps 10 passes; the first step caps a tiny one
    assert auto_epochs(69, 16) == 30 and auto_epochs(1000, 16) == 10 and auto_epochs(300, 16) == 10
    assert auto_epochs(200, 16) == 12 and auto_epochs(3, 16) == 30


def test_a_project_with_nobody_held_out_labelled_says_there_is_no_validation_pck_yet(tmp_path, data_dir):
    """A project of the dancer's video that nobody labelled yet has no labelled joint to validate
    on: the plan says so, instead of "PCK moves in steps of 100.0"."""
    from poseapp.engine.finetune_plan import plan_finetune
    from poseapp.engine.zoo import resolve_model
    from poseapp.formats import import_source
    from poseapp.store import Project

    path = tmp_path / "dance.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, data_dir / "sleap" / "dance.mp4.labels.slp")
        for person in [i for i in project.iter_instances() if i.origin == "manual"]:  # a project nobody labelled yet
            project.delete_instance(person.id)
    plan = plan_finetune(path, resolve_model("default"), batch_size=4, threads=1, measure=False)
    assert plan.val == plan.val_joints == 0
    assert "0 labelled joints, so there is no validation PCK until someone held out is annotated" in plan.summary()
    assert "steps of 100.0" not in plan.summary()


def test_finetune_refuses_an_out_that_is_a_file_before_measuring_anything(coco_project, tmp_path, capsys):
    """--out naming a file is refused at once (it used to be found only after seconds of timing the
    plan, and --plan-only never said it)."""
    from poseapp.cli import main

    taken = tmp_path / "c.json"
    taken.write_text("{}")
    assert main(["finetune", "--project", str(coco_project), "--plan-only", "--out", str(taken)]) != 0
    err = capsys.readouterr()
    assert f"{taken}: is a file; --out names the folder a run writes its model into" in err.err
    assert '"event": "plan"' not in err.out and taken.read_text() == "{}"  # refused before the plan was measured
