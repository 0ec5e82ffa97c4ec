"""`poseapp eval --data project:FILE` on a project whose skeleton is no preset (issue #26): SLEAP's
fly and DeepLabCut's reaching mouse, each with a model of its own skeleton made from the LSP-14
default by transfer (engine/transfer.py: no training, so the figures are low but real). PCK is of
the person's size where the skeleton has no torso, the pixel error is in image pixels, and OKS AP
uses the skeleton's own sigmas."""

import json
import math

import pytest


def transferred_model(folder, skeleton):
    """A model of ``skeleton`` started from the shipped LSP-14 default (its image layers, and the
    joints they share by name), saved as a model folder."""
    from poseapp.core.skeleton import skeleton_of
    from poseapp.engine import checkpoint as ckpt
    from poseapp.engine.transfer import transfer_weights
    from poseapp.engine.zoo import resolve_model
    from poseapp.models import build_model
    from poseapp.models.registry import override_config

    parent, _ = ckpt.load_model(resolve_model("default"))
    model = build_model(override_config(parent.config, skeleton=skeleton.name, num_joints=skeleton.num_joints,
                                        skeleton_data=skeleton.to_dict())).eval()
    transfer_weights(model, parent, skeleton, skeleton_of(parent.config))
    ckpt.save_weights(model, folder)
    ckpt.write_card(folder, ckpt.make_card(model, folder.name))
    return folder


def fly_project(path, data_dir):
    """24 flies of SLEAP's two-fly video, their predictions accepted as labels (as a user checks them)."""
    from poseapp.formats import import_source
    from poseapp.store import Project
    from poseapp.store.edits import AcceptPrediction

    with Project.open(path, create=True) as project:
        import_source(project, data_dir / "sleap" / "centered_pair_predictions.slp")
        accepted = 0
        for inst in project.iter_instances(origin="predicted"):
            if accepted < 24 and project.frame(inst.frame_id).index % 40 == 0:
                AcceptPrediction(project, inst.id).apply()
                accepted += 1
        return project.skeleton(project.annotated_skeleton())


def mouse_project(path, data_dir):
    """DeepLabCut's reaching mouse: 55 labelled frames of 5 body parts (Hand, Finger1, Tongue, Joystick1-2)."""
    from poseapp.formats import import_source
    from poseapp.store import Project

    with Project.open(path, create=True) as project:
        import_source(project, data_dir / "dlc" / "Reaching-Mackenzie-2018-08-30" / "config.yaml")
        return project.skeleton(project.annotated_skeleton())


@pytest.mark.parametrize("make_project, people", [(fly_project, 24), (mouse_project, 55)])
def test_poseapp_eval_scores_a_project_of_a_skeleton_that_is_no_preset(tmp_path, data_dir, capsys, make_project, people):
    from poseapp.cli import main

    project = tmp_path / "animals.poseapp"
    skeleton = make_project(project, data_dir)
    assert skeleton.name.startswith("custom:") and "left_shoulder" not in skeleton.joints  # no torso to measure by
    model = transferred_model(tmp_path / "animal-model", skeleton)
    out = tmp_path / "metrics.json"
    assert main(["eval", "--model", str(model), "--data", f"project:{project}", "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["n_people"] == people and metrics["skeleton"] == skeleton.name
    # PCK of the animal's size (its labelled joints' box), as a total: such a skeleton has no joint groups
    assert metrics["pck_normalised_by"].startswith("person size") and set(metrics["pck@0.2"]) == {"total"}
    assert 0.0 <= metrics["pck@0.2"]["total"] <= 100.0 and 0.0 <= metrics["auc"] <= 100.0
    assert math.isfinite(metrics["mean_px_error"]) and metrics["mean_px_error"] > 0
    # OKS AP with this skeleton's sigmas: CrowdPose's 0.079 for a neck, 0.072 for a joint COCO does not name
    assert metrics["oks_sigmas"] == list(skeleton.oks_sigmas()) and len(metrics["oks_sigmas"]) == skeleton.num_joints
    assert ({0.072} if "neck" not in skeleton.joints else {0.072, 0.079}) == set(metrics["oks_sigmas"])
    assert 0.0 <= metrics["oks"]["ap"] <= 1.0
    assert len(metrics["per_iteration"]) == 3  # the recurrent model's feed-forward pass and 2 iterations
    printed = capsys.readouterr().out
    assert "nan" not in printed and "person size" in printed and "OKS AP" in printed  # no empty group columns


def test_eval_of_a_model_of_another_skeleton_on_such_a_project_says_so(tmp_path, data_dir, capsys):
    from poseapp.cli import main

    project = tmp_path / "mouse.poseapp"
    skeleton = mouse_project(project, data_dir)
    assert main(["eval", "--model", "default", "--data", f"project:{project}"]) != 0
    assert f"the data uses the {skeleton.name} skeleton, the model lsp14" in capsys.readouterr().err
