"""A visibility output separate from the joint score (issue #28 item 4): the recurrent model's
visibility head, grown onto a trained model without changing its poses, learns LSP's occlusion
flags in real training steps, and the predictor, evaluation and transfer use it."""

import dataclasses

import numpy as np
import pytest
import torch

from poseapp.core.skeleton import preset
from poseapp.data.augment import AugmentConfig
from poseapp.data.samples import load_samples
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.dataset import PoseDataset
from poseapp.engine.evaluate import evaluate
from poseapp.engine.predictor import Predictor
from poseapp.engine.transfer import transfer_weights
from poseapp.models import build_model, normalise_images
from poseapp.models.losses import LossConfig, visibility_loss
from poseapp.models.registry import override_config

PARENT = "models/recurrent-lite-exclude"  # a shipped LSP-14 recurrent model without a visibility head


def grown(trunk_blocks=2):
    parent, card = ckpt.load_model(PARENT)  # no head of its own: the head grown here is new
    child = build_model(override_config(parent.config, trunk_blocks=trunk_blocks, visibility_head=True)).eval()
    widened = ckpt.widen_from(child, parent)
    return parent, child, card, widened


def test_growing_a_trained_model_keeps_its_maps_exactly():
    parent, child, _, widened = grown()
    assert any(n.startswith("trunk.") for n in widened) and any(n.startswith("visibility.") for n in widened)
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        before, after = parent(x), child(x)
    k, c = child.config.num_joints, child.config.num_maps
    assert after.shape == (*before.shape[:2], c + k, *before.shape[3:])
    assert torch.equal(after[:, :, :c], before)
    assert child.visibility_logits(after).shape == (2, k, 32, 32)


def test_the_head_learns_lsp_occlusion_flags_in_real_steps_without_moving_the_pose_layers(lsp_dir):
    samples = [s for s in load_samples(f"lsp:{lsp_dir}")[:200] if (s.keypoints[:, 2] == 1).any()][:16]
    _, model, _, _ = grown(trunk_blocks=0)
    data = PoseDataset(samples, model.codec(), 128, AugmentConfig.none(), skeleton=preset("lsp14"))
    items = [data[i] for i in range(len(samples))]
    images = normalise_images(torch.stack([x[0] for x in items]))
    kps = torch.stack([x[3] for x in items])
    assert (kps[:, :, 2] == 1).any() and (kps[:, :, 2] == 2).any()
    pose = {n: p.clone() for n, p in model.named_parameters() if not n.startswith("visibility.")}
    model.train()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    with torch.no_grad():  # the feed-forward part once: the steps re-run the rest from its cache
        cache = model.features(images)
    for _ in range(15):
        out = model.rerun(cache, iterations=0)  # the head reads the last maps: here the feed-forward ones
        loss = visibility_loss(model.visibility_logits(out), kps, 128)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    # the head's input is detached: its loss never reaches the pose layers
    assert all(p.grad is None or p.grad.abs().sum() == 0 for n, p in model.named_parameters() if n in pose)
    assert all(torch.equal(p, pose[n]) for n, p in model.named_parameters() if n in pose)


def test_the_loss_skips_joints_without_a_flag():
    logits = torch.zeros(1, 3, 32, 32, requires_grad=True)
    kps = torch.tensor([[[10.0, 10.0, 3.0], [20.0, 20.0, 0.0], [30.0, 30.0, -1.0]]])  # placed by a model, unlabelled, unplaced
    loss = visibility_loss(logits, kps, 128)
    loss.backward()
    assert loss.item() == 0.0 and logits.grad.abs().sum() == 0
    loss = visibility_loss(logits, torch.tensor([[[10.0, 10.0, 1.0], [0, 0, 0], [0, 0, 0]]]), 128)
    assert loss.item() == pytest.approx(np.log(2), abs=1e-5)


def _with_bias(model, biases):
    with torch.no_grad():
        model.visibility[2].bias.copy_(torch.tensor(biases, dtype=torch.float32))
        model.visibility[2].weight.zero_()
    return model


def test_the_predictor_flags_joints_from_the_head_in_both_views_and_in_a_rerun(lsp_dir):
    _, model, card, _ = grown(trunk_blocks=0)
    k = model.config.num_joints
    # both ankles hidden (a pair, so the flip test's mirrored view says the same), the rest visible
    hidden = [preset("lsp14").index("right_ankle"), preset("lsp14").index("left_ankle")]
    _with_bias(model, [-8.0 if j in hidden else 8.0 for j in range(k)])
    shown = [j for j in range(k) if j not in hidden]
    card = {**card, "config": dataclasses.asdict(model.config)}
    sample = load_samples(f"lsp:{lsp_dir}")[0]
    image = __import__("poseapp.media.images", fromlist=["read_image"]).read_image(sample.image_path)
    for flip in (False, True):
        predictor = Predictor(model, card, flip_test=flip)
        assert predictor.predicts_occlusion
        pred = predictor.predict(image, [sample.bbox], keep_cache=True)[0]
        assert pred.visibility is not None and (pred.visibility[hidden] < 0.01).all() and (pred.visibility[shown] > 0.99).all()
        assert (pred.keypoints[hidden, 2] == 1).all() and (pred.keypoints[shown, 2] == 2).all()
        assert not np.array_equal(pred.visibility, pred.scores)
        again = predictor.refine(pred.cache, {3: tuple(pred.keypoints[3, :2] + 5)})
        assert (again.keypoints[hidden, 2] == 1).all() and (again.visibility[hidden] < 0.01).all()


def test_evaluation_scores_occlusion_with_the_head_and_transfer_keeps_it(lsp_dir):
    _, model, card, _ = grown(trunk_blocks=0)
    samples = [s for s in load_samples(f"lsp:{lsp_dir}")[:60] if (s.keypoints[:, 2] == 1).any()][:6]
    k = model.config.num_joints
    _with_bias(model, [0.0] * k)
    # a head that knows the truth ranks perfectly: occluded joints' logits low. Check the plumbing
    # by a head that says "visible" for every joint: AP equals the chance level.
    result = evaluate(Predictor(model, {**card, "config": dataclasses.asdict(model.config)}), samples)
    vis = result["visibility"]
    assert vis["source"] == "visibility head" and vis["occluded"] > 0
    coco = build_model(override_config(model.config, skeleton="coco17", num_joints=17))
    moved = transfer_weights(coco, model, preset("coco17"), preset("lsp14"))
    assert coco.config.visibility_head and len(moved.joints) == 12
    shoulder_c, shoulder_l = preset("coco17").index("left_shoulder"), preset("lsp14").index("left_shoulder")
    assert torch.equal(coco.visibility[2].weight[shoulder_c], model.visibility[2].weight[shoulder_l])


def test_the_weight_average_leaves_a_frozen_weight_bit_for_bit():
    """The run's EMA averaged frozen weights with themselves; d * x + (1 - d) * x drifts from x in
    the last bits, and over a run of 2,000 steps that moved the shipped model's poses."""
    from poseapp.engine.ema import ModelEMA

    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 8))
    model[0].requires_grad_(False)
    ema = ModelEMA(model, 0.999)
    frozen = model[0].weight.clone()
    with torch.no_grad():
        model[1].weight.add_(1.0)  # the trained part moves
    for step in range(2000):
        ema.update(model, step)
    assert torch.equal(ema.model[0].weight, frozen) and torch.equal(ema.model[0].bias, model[0].bias)
    assert torch.allclose(ema.model[1].weight, model[1].weight, atol=1e-3)


def test_a_train_only_run_teaches_the_head_and_leaves_the_shipped_poses_bit_for_bit(lsp_dir, tmp_path):
    """A real run (TrainConfig.train_only=["visibility"]) from a shipped LSP-14 model without a
    visibility head (the default was given its head this way), given one: the head's weights move, every other weight and batch-norm statistic stays
    exactly as shipped, so the model predicts the same poses and now flags occlusion."""
    from poseapp.engine.train_config import TrainConfig
    from poseapp.engine.trainer import Progress, Trainer

    config = TrainConfig.from_dict({
        "model": "recurrent-lite", "init_from": PARENT, "model_overrides": {"visibility_head": True},
        "train_only": ["visibility"], "data": [f"lsp:{lsp_dir}"], "epochs": 1, "batch_size": 8, "max_train": 24,
        "max_val": 8, "lr": 3e-3, "warmup_steps": 1, "hints": 0.5, "amp": "off", "train_eval": 8, "ema_decay": 0.9,
    })
    Trainer(config, tmp_path / "run", progress=Progress(enabled=False)).run()
    parent, _ = ckpt.load_model(PARENT)
    child, card = ckpt.load_model(tmp_path / "run")
    before, after = parent.state_dict(), child.state_dict()
    torch.manual_seed(config.seed)  # the head as the run made it before its steps: the parent loads first
    fresh = build_model(override_config(ckpt.load_model(PARENT)[0].config, visibility_head=True)).state_dict()
    head = [n for n in after if n.startswith("visibility.") and n.endswith("weight")]
    assert head and all(not torch.equal(after[n], fresh[n]) for n in head)
    assert set(before) == {n for n in after if not n.startswith("visibility.")}
    assert all(torch.equal(before[n], after[n]) for n in before), [n for n in before if not torch.equal(before[n], after[n])]
    sample = load_samples(f"lsp:{lsp_dir}")[0]
    image = np.asarray(PoseDataset([sample], parent.codec(), 128, None)[0][0].permute(1, 2, 0))
    shipped = Predictor(parent.eval(), ckpt.read_card(PARENT)).predict(image, [(0, 0, 128, 128)])[0]
    taught = Predictor(child.eval(), card).predict(image, [(0, 0, 128, 128)])[0]
    np.testing.assert_array_equal(shipped.keypoints, taught.keypoints)
    # its occlusion now comes from the head (the parent's came from its heatmap peaks)
    assert taught.visibility is not None and not np.allclose(shipped.visibility, taught.visibility)
    with pytest.raises(Exception, match="names no parameter"):
        Trainer(dataclasses.replace(config, train_only=("nothing_here",)), tmp_path / "run2",
                progress=Progress(enabled=False)).run()
