"""A model of another skeleton started from a trained one (issue #26 item 2), and the data a
COCO-17 model trains on: COCO's held-out photos, extra joint labels, oversampling."""

import json

import numpy as np
import pytest
import torch

from poseapp.core.skeleton import COCO17, LSP14
from poseapp.data import load_samples
from poseapp.data.splits import is_coco_validation, training_split
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.metrics import pck_table
from poseapp.engine.transfer import transfer_weights
from poseapp.engine.zoo import resolve_model
from poseapp.models import build_model
from poseapp.models.registry import override_config


def test_a_coco17_model_from_the_shipped_lsp14_one_keeps_the_shared_joints_channels():
    parent, _ = ckpt.load_model(resolve_model("default"))
    model = build_model(override_config(parent.config, skeleton="coco17", num_joints=17)).eval()
    moved = transfer_weights(model, parent, COCO17, LSP14)
    assert len(moved.joints) == 12 and moved.new_joints == ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
    x = torch.rand(2, 3, parent.config.input_size, parent.config.input_size)
    with torch.no_grad():
        before, after = parent(x), model(x)
    assert after.shape[2] == 17 + len(COCO17.edges) + (17 if model.config.visibility_head else 0)  # + the head's maps
    for name in moved.joints:  # the feed-forward maps of a kept joint are the parent's, exactly
        torch.testing.assert_close(after[:, 0, COCO17.index(name)], before[:, 0, LSP14.index(name)])


@pytest.mark.parametrize("name", ["part_regression-lite", "deeppose-lite"])
def test_the_cascade_and_regression_models_move_to_coco17_keeping_the_shared_joints_outputs(name):
    torch.manual_seed(0)
    parent = build_model(name).eval()
    model = build_model(override_config(parent.config, skeleton="coco17", num_joints=17)).eval()
    moved = transfer_weights(model, parent, COCO17, LSP14)
    assert len(moved.joints) == 12 and len(moved.new_joints) == 5
    x = torch.rand(2, 3, parent.config.input_size, parent.config.input_size)
    with torch.no_grad():
        before, after = parent(x), model(x)
    kept_new = [COCO17.index(n) for n in moved.joints]
    kept_old = [LSP14.index(n) for n in moved.joints]
    # a kept joint's output is the parent's at every stage that sees the image only (the cascade's
    # second stage also read the parent's neck and head-top maps, which COCO-17 has not)
    stages = 1 if name.startswith("part_regression") else after.shape[1]
    torch.testing.assert_close(after[:, :stages, kept_new], before[:, :stages, kept_old])


def test_the_cnn_lstm_keeps_each_shared_joints_embedding():
    parent = build_model("cnn_lstm-lite")
    model = build_model(override_config(parent.config, skeleton="coco17", num_joints=17))
    moved = transfer_weights(model, parent, COCO17, LSP14)
    for name in moved.joints:
        assert torch.equal(model.joint_embedding.weight[COCO17.index(name)], parent.joint_embedding.weight[LSP14.index(name)])
    assert model(torch.rand(1, 3, parent.config.input_size, parent.config.input_size)).shape[2] == 17


def test_a_transfer_refuses_other_widths_with_a_clear_reason():
    parent = build_model("recurrent-lite")
    other = build_model(override_config(parent.config, skeleton="coco17", num_joints=17, fusion_width=32))
    with pytest.raises(ValueError, match="only the skeleton may differ"):
        transfer_weights(other, parent, COCO17, LSP14)


def test_a_skeleton_and_a_joint_count_that_disagree_are_refused():
    with pytest.raises(ValueError, match="coco17 skeleton has 17 joints"):
        override_config(build_model("recurrent-lite").config, skeleton="coco17")


def test_training_from_lsp14_to_coco17_records_the_parent_and_the_joint_mapping(tmp_path, data_dir):
    from poseapp.engine.train_config import TrainConfig
    from poseapp.engine.trainer import Trainer

    config = TrainConfig(
        model="recurrent-lite", init_from=str(resolve_model("default")), model_overrides={"skeleton": "coco17", "num_joints": 17},
        data=(f"coco:{data_dir / 'coco_mini_train' / 'person_keypoints_train2017.json'}",), epochs=1, batch_size=4,
        max_train=8, oversample={"coco": 2}, train_eval=0, threads=1,
    )
    trainer = Trainer(config, tmp_path / "run")
    trainer.run()
    assert len(trainer.train) == 16  # 8 people, each twice
    assert not any(is_coco_validation(s) for s in trainer.train) and all(is_coco_validation(s) for s in trainer.val)
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    parent = card["training"]["initialized_from"]
    assert parent["skeleton"] == "lsp14" and parent["transfer"]["new_joints"][0] == "nose"
    assert card["skeleton"]["name"] == "coco17"


def test_held_out_coco_photos_never_train(data_dir):
    samples = load_samples(f"coco:{data_dir / 'coco_mini_train' / 'person_keypoints_train2017.json'}")
    train, val, how = training_split(samples)
    assert len(val) == 17 and len(train) == 69 and "held-out COCO photos (17 people)" in how
    names = {s.image_path.rsplit("/", 1)[-1] for s in val}
    assert not names & {s.image_path.rsplit("/", 1)[-1] for s in train}


def test_pck_leaves_out_a_person_whose_torso_is_not_labelled():
    gt = np.zeros((1, 17, 3))
    gt[0, COCO17.index("left_shoulder")] = (50, 50, 2)
    gt[0, COCO17.index("left_elbow")] = (60, 80, 2)  # the hips are cut off by the frame
    pred = gt.copy()
    pred[0, :, 0] += 40  # 40 px off: 'correct' against a torso measured to (0, 0)
    table = pck_table(pred, gt, COCO17)
    assert table["total"] == 0.0 and "elbow" not in table


def test_a_sleap_fly_project_fine_tunes_a_model_of_its_own_skeleton(tmp_path, data_dir, monkeypatch, capsys):
    """Issue #26 items 1-2: a skeleton that is no preset (SLEAP's 24-node fly) trains: the model's
    config and card carry the skeleton (joints, edges, symmetries), started from the LSP-14
    default's image layers; the model then loads and predicts the fly's 24 joints."""
    from poseapp.cli import main
    from poseapp.engine.predictor import Predictor
    from poseapp.formats import import_source
    from poseapp.store import Project
    from poseapp.store.edits import AcceptPrediction

    monkeypatch.setenv("POSEAPP_HOME", str(tmp_path / "home"))
    path = tmp_path / "flies.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, data_dir / "sleap" / "centered_pair_predictions.slp")
        accepted = 0
        for inst in project.iter_instances(origin="predicted"):
            if accepted == 24:
                break
            if project.frame(inst.frame_id).index % 40 == 0:  # flies on frames spread over the video
                AcceptPrediction(project, inst.id).apply()  # checked by the user: a label now
                accepted += 1
        skeleton = project.skeleton(project.annotated_skeleton())
    assert accepted == 24 and skeleton.num_joints == 24 and not skeleton.flip_pairs  # the file names no symmetries
    out = tmp_path / "fly-model"
    assert main(["finetune", "--model", "default", "--project", str(path), "--epochs", "1", "--batch-size", "4",
                 "--out", str(out)]) == 0
    plan = json.loads(capsys.readouterr().out.splitlines()[0])["summary"]
    from poseapp.core.skeleton import skeleton_title
    from poseapp.engine.zoo import default_model_name

    # "neck" is shared by name: 1 joint kept, 23 start fresh
    assert (f"A {skeleton_title(skeleton.name)} model for this project, started from {default_model_name()} (LSP-14): "
            f"23 new joints (head, thorax, abdomen,") in plan and f"start fresh; 1 kept from {default_model_name()}." in plan
    card = json.loads((out / "card.json").read_text())
    assert card["skeleton"]["joints"] == list(skeleton.joints)
    flips = {(skeleton.joints[a], skeleton.joints[b]) for a, b in card["skeleton"]["flip_pairs"]}
    assert ("wingL", "wingR") in flips and ("forelegL1", "forelegR1") in flips  # sides from the names
    predictor = Predictor.from_path(out, device="cpu")
    image = np.zeros((200, 200, 3), np.uint8)
    assert predictor.predict(image, [(50, 50, 100, 100)])[0].keypoints.shape == (24, 3)
