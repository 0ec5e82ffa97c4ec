"""Corrections as hints (issue #13): the models' hint protocol, Predictor.refine from cached
features, hint training in the trainer, and the simulated annotator."""


import numpy as np
import pytest
import torch

from poseapp.engine import checkpoint as ckpt
from poseapp.engine.predictor import Predictor
from poseapp.media.images import read_image
from poseapp.models import build_model

HINTABLE = ("recurrent-lite", "part_regression-lite")


def _with_batch_norm_statistics(model):
    """Untrained weights with non-trivial batch-norm statistics, so outputs depend on the input."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 128, 128))
    return model.eval()


@pytest.fixture(scope="module", params=HINTABLE)
def model_dir(request, tmp_path_factory):
    torch.manual_seed(7)
    model = _with_batch_norm_statistics(build_model(request.param))
    folder = tmp_path_factory.mktemp("models") / request.param
    ckpt.save_weights(model, folder)
    ckpt.write_card(folder, ckpt.make_card(model, folder.name))
    return folder


@pytest.mark.parametrize("name", HINTABLE)
def test_rerun_from_cached_features_equals_forward_and_hints_change_it(name):
    torch.manual_seed(0)
    model = _with_batch_norm_statistics(build_model(name))
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        plain = model(x)
        cache = model.features(x)
        assert torch.equal(model.rerun(cache), plain)
        channels = plain.shape[2]  # the recurrent input's maps; the cascade's detection maps
        maps = torch.rand(2, channels, 32, 32)
        none = torch.zeros(2, channels, dtype=torch.bool)
        assert torch.equal(model.rerun(cache, hint_maps=maps, hint_mask=none), plain)  # an empty mask is no hint
        joints = torch.zeros(2, 14, dtype=torch.bool)
        joints[0, 6] = True
        hinted = model.rerun(cache, hint_maps=maps, hint_mask=model.hint_channels(joints))
    assert not torch.equal(hinted[0], plain[0])
    assert torch.equal(hinted[1], plain[1])  # person 1 had no hint
    with pytest.raises(ValueError, match="together"):
        model.rerun(cache, hint_maps=maps)


def test_hinted_joints_replace_their_maps_and_the_maps_of_limbs_with_both_ends_hinted():
    model = build_model("recurrent-lite", hint_limbs="both")
    limbs = model.config.limbs
    joints = torch.zeros(1, 14, dtype=torch.bool)
    joints[0, 6] = True  # right wrist alone: its own map only, the wrist-elbow limb's far end is unknown
    assert torch.nonzero(model.hint_channels(joints)[0]).flatten().tolist() == [6]
    joints[0, 7] = True  # and the elbow: the limb between them is known exactly
    assert torch.nonzero(model.hint_channels(joints)[0]).flatten().tolist() == [6, 7, 14 + limbs.index((6, 7))]


def test_touching_mode_replaces_every_limb_of_a_hinted_joint():
    model = build_model("recurrent-lite")
    assert model.config.hint_limbs == "touching"  # the default, issue #13's design
    joints = torch.zeros(1, 14, dtype=torch.bool)
    joints[0, 6] = True  # right wrist: one limb, wrist-elbow
    channels = model.hint_channels(joints)[0]
    limbs = model.config.limbs
    assert torch.nonzero(channels).flatten().tolist() == [6, 14 + limbs.index((6, 7))]
    joints[0, 6], joints[0, 12] = False, True  # neck: three limbs
    assert int(model.hint_channels(joints)[0, 14:].sum()) == sum(12 in limb for limb in limbs) == 3


def test_hint_blank_empties_the_free_neighbours_of_a_hinted_joint_in_the_recurrent_input():
    torch.manual_seed(0)
    model = build_model("recurrent-lite", hint_blank=1).eval()
    limbs = model.config.limbs
    joints = torch.zeros(1, 14, dtype=torch.bool)
    joints[0, 6] = True  # right wrist: its elbow (7) is the one free neighbour
    blank = model._blanked(model.hint_channels(joints))[0]
    touching_elbow = [14 + i for i, limb in enumerate(limbs) if 7 in limb]
    assert torch.nonzero(blank).flatten().tolist() == [7, *touching_elbow]
    joints[0, 7] = True  # elbow hinted too: the shoulder is blanked, the wrist-elbow limb is not
    blank = model._blanked(model.hint_channels(joints))[0]
    assert blank[8] and not blank[6] and not blank[7] and not blank[14 + limbs.index((6, 7))]
    # the re-run no longer sees the blanked joints' old maps: changing them changes nothing
    f3 = torch.randn(1, model.config.widths[2], 32, 32)
    maps = torch.rand(1, model.config.num_maps, 32, 32)
    other = maps.clone()
    other[0, 8] = torch.rand(32, 32)
    hint_maps, hint_mask = torch.rand(1, model.config.num_maps, 32, 32), model.hint_channels(joints)
    with torch.no_grad():
        a = model.iterate(f3, maps, 2, hint_maps, hint_mask)[:, 1:]
        b = model.iterate(f3, other, 2, hint_maps, hint_mask)[:, 1:]
        plain = build_model("recurrent-lite").eval()
        plain.load_state_dict(model.state_dict())
        c = plain.iterate(f3, other, 2, hint_maps, hint_mask)[:, 1:]
    assert torch.equal(a, b)
    assert not torch.allclose(b, c)  # without blanking the old shoulder map matters


@pytest.mark.parametrize("bad", [-1, 4, 1.5, True])
def test_hint_blank_is_validated(bad):
    with pytest.raises(ValueError, match="hint_blank"):
        build_model("recurrent-lite", hint_blank=bad)


def test_refined_hinted_joints_stay_exactly_where_the_user_put_them(model_dir, lsp_dir):
    predictor = Predictor.from_path(model_dir, device="cpu")
    image = read_image(lsp_dir / "images" / "im0801.jpg")
    h, w = image.shape[:2]
    first = predictor.predict(image, [(3.0, 5.0, w - 10.0, h - 8.0)], keep_cache=True)[0]
    again = predictor.predict(image, [(3.0, 5.0, w - 10.0, h - 8.0)])[0]
    np.testing.assert_array_equal(first.stages, again.stages)  # caching changes nothing
    hints = {6: (12.34, 56.78), 0: (w - 7.5, h - 3.25)}
    refined = predictor.refine(first.cache, hints)
    for j, xy in hints.items():
        assert tuple(refined.keypoints[j, :2]) == xy
        assert all(tuple(s) == xy for s in refined.stages[:, j])
        assert refined.scores[j] == 1.0
    assert refined.stages.shape == first.stages.shape and np.isfinite(refined.keypoints).all()
    assert not np.allclose(refined.keypoints[1:6], first.keypoints[1:6])  # the others move with the hints
    with pytest.raises(ValueError, match="outside"):
        predictor.refine(first.cache, {14: (1.0, 1.0)})


def test_models_without_hints_refuse_to_cache(tmp_path):
    from conftest import make_model_folder

    predictor = Predictor.from_path(make_model_folder(tmp_path / "dp", "deeppose-lite"), device="cpu")
    with pytest.raises(ValueError, match="no hints"):
        predictor.predict(np.zeros((64, 64, 3), np.uint8), [(0, 0, 64, 64)], keep_cache=True)


def test_simulated_annotator_counts_match_pck_without_refinement(model_dir, lsp_dir):
    from poseapp.data import load_samples, split_samples
    from poseapp.engine.annotator import simulate_annotator
    from poseapp.engine.evaluate import evaluate

    samples = split_samples(load_samples(f"lsp:{lsp_dir}"))[1][:6]
    predictor = Predictor.from_path(model_dir, device="cpu")
    pck = evaluate(predictor, samples)["pck@0.2"]["total"]
    result = simulate_annotator(predictor, samples)
    per = result["corrections_per_person"]
    # every LSP person has all 14 joints labelled, so the wrong joints are 14 x (1 - PCK)
    assert per["without_refinement"] == pytest.approx(14 * (1 - pck / 100))
    assert result["refinement"] and per["with_refinement"] is not None
    for key in ("without_refinement", "with_refinement"):
        assert sum(result["distribution"][key].values()) == len(samples)
    assert 0 <= per["with_refinement"] <= 14 and result["regressions_per_person"] >= 0
    # a person whose first prediction is right needs no correction, with refinement or without
    assert result["distribution"]["with_refinement"].get("0", 0) == result["distribution"]["without_refinement"].get("0", 0)


def test_correct_person_corrects_the_largest_error_first_and_counts_regressions():
    from poseapp.engine.annotator import correct_person

    gt = np.column_stack([np.arange(14.0) * 10, np.zeros(14), np.full(14, 2.0)])
    first = gt[:, :2].copy()
    first[3] += 50  # wrong, the largest error
    first[5] += 30  # wrong

    class Fake:
        """A re-run that moves joint 9 away once joint 3 is hinted (a regression), then fixes it."""

        def __init__(self):
            self.calls = []

        def refine(self, cache, hints, iterations=None):
            self.calls.append(dict(hints))
            kps = gt.copy()
            if len(hints) == 1:
                kps[9, :2] += 40
            for j, xy in hints.items():
                kps[j, :2] = xy
            return type("P", (), {"keypoints": kps})()

    fake = Fake()
    corrections, regressions = correct_person(fake, None, first, gt, norm=20.0, alpha=0.2)
    assert list(fake.calls[0]) == [3]  # the largest error first
    assert corrections == 2 and regressions == 1  # joint 9 was right, went wrong, then was corrected


def test_hint_training_draws_subsets_of_labelled_joints_reproducibly():
    from poseapp.engine.hint_training import HintSampler

    model = build_model("recurrent-lite")
    sampler = HintSampler(model, hints=0.5, max_hints=3)
    kps = torch.zeros(64, 14, 3)
    kps[:, :, 2] = 2.0
    kps[:, 0, 2] = 0.0  # joint 0 unlabelled: never a hint
    target = torch.rand(64, 28, 32, 32)
    a = sampler(target, kps, step=5)
    b = sampler(target, kps, step=5)
    assert torch.equal(a["hint_mask"], b["hint_mask"]) and a["hint_maps"] is target
    joints = a["hint_mask"][:, :14]
    counts = joints.sum(1)
    assert not joints[:, 0].any() and counts.max() <= 3
    assert 10 < int((counts == 0).sum()) < 54  # about half the samples have none
    assert torch.equal(a["hint_mask"], model.hint_channels(joints))
    assert not torch.equal(sampler(target, kps, step=6)["hint_mask"], a["hint_mask"])
    assert HintSampler(model, hints=0.0, max_hints=3)(target, kps, step=5) == {}
    assert HintSampler(build_model("deeppose-lite"), hints=0.5, max_hints=3)(target, kps, step=5) == {}  # takes none


def test_annotator_like_hint_training_hints_the_joints_the_first_estimate_gets_most_wrong():
    from poseapp.engine.hint_training import HintSampler

    model = build_model("recurrent-lite")
    hints = HintSampler(model, hints=1.0, max_hints=2, hint_worst=1.0, hint_limb_ends="estimate")
    codec = model.codec()
    b = 8
    truth = np.tile(np.linspace(20.0, 100.0, 14)[:, None], (1, 2))
    kps = torch.from_numpy(np.column_stack([truth, np.full(14, 2.0)])).float().repeat(b, 1, 1)
    target = torch.from_numpy(np.stack([codec.encode(k.numpy())[0] for k in kps])).float()
    first = target.clone()
    first[:, 4] = torch.roll(first[:, 4], shifts=(9, 9), dims=(1, 2))  # the estimate is far off for joints 4 and 11
    first[:, 11] = torch.roll(first[:, 11], shifts=(-12, 0), dims=(1, 2))
    maps, mask = hints(target, kps, step=5)["hint_sampler"](first)
    joints = mask[:, :14]
    assert joints[:, 4].all()  # the worst joint (12.7 cells off) in every sample
    assert not joints[:, [j for j in range(14) if j not in (4, 11)]].any()  # and the second worst (12) when 2 are drawn
    assert joints[:, 11].any()
    # a limb from a hinted joint to one that is not is drawn to the model's estimate, as refine draws it
    estimate = hints.first_estimate(first)[0].numpy()
    mixed = np.column_stack([estimate, np.full(14, 2.0)])
    mixed[[4, 11]] = kps[0, [4, 11]].numpy()
    if joints[0].sum() == 2:
        np.testing.assert_allclose(maps[0].numpy(), model.encode_hints(mixed), atol=1e-6)


@pytest.mark.parametrize("bad", [{"hint_worst": 1.5}, {"hint_worst": True}, {"hint_limb_ends": "middle"}])
def test_hint_options_are_validated(bad):
    from poseapp.engine.train_config import TrainConfig

    with pytest.raises(ValueError):
        TrainConfig(model="recurrent-lite", **bad)


def test_a_model_widened_to_read_hints_starts_as_its_parent_and_then_uses_them():
    import dataclasses

    torch.manual_seed(3)
    parent = _with_batch_norm_statistics(build_model("recurrent-lite"))
    wider = build_model(dataclasses.replace(parent.config, hint_input=True)).eval()
    assert ckpt.widen_from(wider, parent) == ["recurrent.0.0.weight"]
    x = torch.randn(2, 3, 128, 128)
    joints = torch.zeros(2, 14, dtype=torch.bool)
    joints[0, 6] = True
    maps = torch.rand(2, wider.config.num_maps, 32, 32)
    with torch.no_grad():
        assert torch.equal(wider(x), parent(x))
        hinted = dict(hint_maps=maps, hint_mask=wider.hint_channels(joints))
        assert torch.allclose(wider(x, **hinted), parent(x, **hinted), atol=1e-6)  # zero weights on the new channels
        wider.recurrent[0][0].weight[:, -14:].normal_()
        assert not torch.allclose(wider(x, **hinted)[0], parent(x, **hinted)[0])  # trained, they matter
    with pytest.raises(ValueError, match="only added input channels"):
        ckpt.widen_from(build_model("recurrent-lite", widths=(8, 16, 32)), parent)


def test_under_flip_test_a_refinement_averages_the_mirrored_view_as_the_prediction_did(model_dir, lsp_dir):
    """A cache made under flip test keeps the mirrored crop's features, so a re-run without hints
    gives back exactly the flip-averaged prediction (untouched joints do not jump on a drag)."""
    plain = Predictor.from_path(model_dir, device="cpu")
    flipped = Predictor(plain.model, plain.card, plain.device, flip_test=True)
    image = read_image(lsp_dir / "images" / "im0802.jpg")
    h, w = image.shape[:2]
    box = (3.0, 5.0, w - 10.0, h - 8.0)
    first = flipped.predict(image, [box], keep_cache=True)[0]
    assert first.cache.flipped is not None and plain.predict(image, [box], keep_cache=True)[0].cache.flipped is None
    np.testing.assert_array_equal(first.keypoints, flipped.predict(image, [box])[0].keypoints)
    assert not np.allclose(first.keypoints, plain.predict(image, [box])[0].keypoints)  # the mirror counts
    again = flipped.refine(first.cache, {}, keep_heatmaps=True)
    np.testing.assert_allclose(again.keypoints[:, :2], first.keypoints[:, :2], atol=1e-4)
    assert again.heatmaps.shape[1] == 14
    hints = {6: (40.5, 60.25)}
    refined = flipped.refine(first.cache, hints)
    assert tuple(refined.keypoints[6, :2]) == hints[6]
    one_view = plain.refine(plain.predict(image, [box], keep_cache=True)[0].cache, hints)
    assert not np.allclose(refined.keypoints, one_view.keypoints)  # the mirrored re-run is averaged in
