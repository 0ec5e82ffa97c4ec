"""Every model and config: real forward and backward passes on real LSP crops, output shapes per
iteration or stage."""

import numpy as np
import pytest
import torch

from poseapp.data import load_samples
from poseapp.data.augment import AugmentConfig, make_crop
from poseapp.core.skeleton import LSP14
from poseapp.media.images import read_image
from poseapp.models import (
    available_models, build_model, config_from_dict, config_to_dict, count_parameters, normalise_images,
)


@pytest.fixture(scope="module")
def lsp_samples(lsp_dir):
    return load_samples(f"lsp:{lsp_dir}")[:4]


def _batch(samples, size):
    crops, kps = [], []
    for s in samples:
        crop, k, _ = make_crop(read_image(s.image_path), s.keypoints, s.bbox, size, LSP14.flip_permutation(), AugmentConfig.none(), None)
        crops.append(crop)
        kps.append(k)
    images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()
    return normalise_images(images), np.stack(kps)


def test_registry_lists_the_four_architectures_and_variants():
    names = available_models()
    for base in ("recurrent", "part_regression", "deeppose", "cnn_lstm"):
        assert base in names and f"{base}-lite" in names
    with pytest.raises(KeyError, match="unknown model"):
        build_model("transformer-xl")


def _expected_shape(model, batch, iterations=None):
    cfg = model.config
    h = cfg.input_size // 4
    name = model.registry_name
    if name == "recurrent":
        t = (cfg.iterations if iterations is None else iterations) + 1
        return (batch, t, cfg.num_joints + len(LSP14.edges), h, h)
    if name == "part_regression":
        return (batch, 2, cfg.num_joints, h, h)
    if name == "deeppose":
        return (batch, cfg.stages + 1, cfg.num_joints, 3)
    return (batch, 1, cfg.num_joints, 3)


LITE = [n for n in available_models() if n.endswith("-lite")]
FULL = [n for n in available_models() if not n.endswith("-lite")]


@pytest.mark.parametrize("name", LITE + FULL)
def test_forward_backward_on_real_crops(name, lsp_samples):
    torch.manual_seed(0)
    model = build_model(name).train()
    size = model.config.input_size
    batch = 2 if name in FULL else 4
    images, _ = _batch(lsp_samples[:batch], size)
    out = model(images)
    assert tuple(out.shape) == _expected_shape(model, batch)
    assert torch.isfinite(out).all()
    out.float().pow(2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads), "some parameter got no gradient"
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_recurrent_iterations_are_chosen_at_inference(lsp_samples):
    model = build_model("recurrent-lite").eval()
    images, _ = _batch(lsp_samples[:2], 128)
    with torch.no_grad():
        outs = {t: model(images, iterations=t) for t in (0, 1, 2, 3)}
    for t, out in outs.items():
        assert tuple(out.shape) == _expected_shape(model, 2, t)
    # weights are shared: the first passes agree whatever the number of iterations
    torch.testing.assert_close(outs[3][:, :3], outs[2])
    assert model.stage_names(3) == ["feed-forward", "iteration 1", "iteration 2"]


def test_recurrent_module_reuses_one_set_of_weights():
    model = build_model("recurrent-lite")
    before = count_parameters(model)
    model(torch.zeros(1, 3, 128, 128), iterations=5)
    assert count_parameters(model) == before


def test_full_recurrent_matches_the_paper_geometry():
    model = build_model("recurrent")
    assert model.config.input_size == 248
    assert model.codec().heatmap_size == (62, 62)
    params = count_parameters(model)
    assert 14e6 < params < 18e6, params  # the paper reports 15.4 M


def test_cascade_returns_both_stages_and_sigmoid_for_display(lsp_samples):
    model = build_model("part_regression-lite").eval()
    images, _ = _batch(lsp_samples[:1], 128)
    with torch.no_grad():
        shown = model.keypoint_heatmaps(model(images))
    assert float(shown[:, 0].min()) >= 0 and float(shown[:, 0].max()) <= 1


def test_cnn_lstm_attention_is_a_distribution_per_step(lsp_samples):
    model = build_model("cnn_lstm-lite").eval()
    images, _ = _batch(lsp_samples[:2], 128)
    with torch.no_grad():
        model(images)
    att = model.last_attention
    assert att.shape[:2] == (2, 14)
    torch.testing.assert_close(att.sum(dim=(2, 3)), torch.ones(2, 14))


def test_deeppose_refinement_crops_follow_the_estimate():
    from poseapp.models.deeppose import crop_patches

    image = torch.zeros(1, 3, 64, 64)
    image[:, :, 10:14, 40:44] = 1.0  # a bright square centred at (41.5, 11.5)
    centre = torch.tensor([[[(41.5 + 0.5) / 64 - 0.5, (11.5 + 0.5) / 64 - 0.5]]])
    patch = crop_patches(image, centre, extent=0.25, size=16)
    assert patch.shape == (1, 3, 16, 16)
    ys, xs = torch.nonzero(patch[0, 0] > 0.5, as_tuple=True)
    assert abs(float(xs.float().mean()) - 7.5) < 1 and abs(float(ys.float().mean()) - 7.5) < 1


@pytest.mark.parametrize("name", LITE)
def test_configs_survive_json(name):
    import json

    model = build_model(name)
    config = config_from_dict(json.loads(json.dumps(config_to_dict(model.config))))
    assert config == model.config


def test_cnn_lstm_attention_readout_places_each_joint_at_its_attention_centre(lsp_samples):
    model = build_model("cnn_lstm-lite", readout="attention").eval()
    images, _ = _batch(lsp_samples[:2], 128)
    with torch.no_grad():
        out = model(images)
    att = model.last_attention  # (B, K, h, w)
    h, w = att.shape[-2:]
    xs = (torch.arange(w) + 0.5) / w - 0.5
    ys = (torch.arange(h) + 0.5) / h - 0.5
    expected = torch.stack([(att.sum(2) * xs).sum(-1), (att.sum(3) * ys).sum(-1)], dim=-1)
    torch.testing.assert_close(out[:, 0, :, :2], expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="needs attention"):
        build_model("cnn_lstm-lite", readout="attention", attention=False)


def test_coordinate_models_train_with_the_loss_their_config_names():
    from poseapp.models.losses import LossConfig

    model = build_model("deeppose-lite", coordinate_loss="l1")
    target = torch.zeros(1, 14, 3)
    output = torch.zeros(1, 1, 14, 3)
    output[..., 0] = 0.1  # every joint 0.1 off in x; visibility logits 0 against target 0
    weight = torch.ones(1, 14)
    cfg = LossConfig(visibility_weight=0.0)
    assert float(model.loss(output, target, weight, target, cfg)) == pytest.approx(14 * 0.1 / 14)
    l2 = build_model("deeppose-lite")
    assert float(l2.loss(output, target, weight, target, cfg)) == pytest.approx(14 * 0.01 / 14)
    with pytest.raises(ValueError):
        build_model("deeppose-lite", coordinate_loss="rle")
