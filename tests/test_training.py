"""Training on real LSP images: the loss falls and PCK rises; interrupted runs resume exactly;
DDP with two CPU processes (gloo); fine-tuning on a project's annotations."""

import io
import json
from pathlib import Path
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from poseapp.engine import checkpoint as ckpt
from poseapp.engine.train_device import cpu_has_fast_bf16
from poseapp.engine.trainer import Progress, TrainConfig, Trainer
from poseapp.models import build_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.slow
def test_short_run_on_lsp_learns(tmp_path, lsp_dir):
    """A couple of CPU minutes: loss falls and validation PCK clears the untrained model's by far."""
    cfg = TrainConfig(
        model="recurrent-lite", data=(f"lsp:{lsp_dir}",), epochs=3, batch_size=16, max_train=320, max_val=48,
        lr=0.002, warmup_steps=10, log_every=5, amp="off",
    )
    # the untrained network's PCK is the chance level here
    from poseapp.engine.dataset import PoseDataset
    from poseapp.engine.evaluate import evaluate_crops

    trainer = Trainer(cfg, tmp_path / "run", progress=Progress(io.StringIO()))
    train, val = trainer._load_data()
    assert len(val) == 48 and all("im08" in s.image_path or "im09" in s.image_path or "im1000" in s.image_path for s in val)
    torch.manual_seed(cfg.seed)
    untrained = trainer._build()
    chance = evaluate_crops(untrained, PoseDataset(val, untrained.codec(), 128, None), torch.device("cpu"))["pck@0.2"]["total"]

    stream = io.StringIO()
    result = Trainer(cfg, tmp_path / "run", progress=Progress(stream)).run()
    history = result["history"]
    assert history[-1]["train_loss"] < 0.6 * history[0]["train_loss"]
    final = history[-1]["val"]["pck@0.2"]["total"]
    assert final > chance + 4.0, (chance, final)
    assert len(history[-1]["val"]["per_iteration"]) == 3
    events = _events(stream)
    assert [e["event"] for e in events][0] == "start" and events[-1]["event"] == "done"
    steps = [e for e in events if e["event"] == "step"]
    assert all({"epoch", "batch", "loss", "eta_s", "samples_per_s"} <= set(e) for e in steps)
    card = json.loads((tmp_path / "run" / ckpt.CARD).read_text())
    assert card["architecture"] == "recurrent" and card["metrics"]["validation_crops"]["n"] == 48
    assert card["training"]["validation_split"].startswith("LSP")


def _tiny(lsp_dir, **kw):
    base = dict(model="deeppose-lite", data=(f"lsp:{lsp_dir}",), epochs=2, batch_size=8, max_train=40, max_val=8,
                warmup_steps=2, log_every=1, amp="off", stage_schedule="joint", seed=5)
    base.update(kw)
    return TrainConfig(**base)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, lsp_dir):
    # one run straight through
    Trainer(_tiny(lsp_dir), tmp_path / "straight", progress=Progress(io.StringIO())).run()
    # the same run stopped after its first step (as --max-minutes 0 would), then resumed twice
    stream = io.StringIO()
    stopped = Trainer(_tiny(lsp_dir, max_minutes=0.0), tmp_path / "resumed", progress=Progress(stream)).run()
    assert stopped["stopped"] and stopped["batch"] == 1
    state = ckpt.load_state(tmp_path / "resumed")
    assert (state["epoch"], state["batch"]) == (0, 1)
    stream = io.StringIO()
    Trainer(_tiny(lsp_dir), tmp_path / "resumed", progress=Progress(stream)).run()
    assert any(e["event"] == "resume" and e["batch"] == 1 for e in _events(stream))
    a = ckpt.load_state(tmp_path / "straight")["model"]
    b = ckpt.load_state(tmp_path / "resumed")["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


def test_staged_schedules_freeze_the_right_parts(tmp_path, lsp_dir):
    cfg = _tiny(lsp_dir, model="part_regression-lite", epochs=3, cascade_schedule="staged")
    trainer = Trainer(cfg, tmp_path / "cascade", progress=Progress(io.StringIO()))
    trainer.model = trainer._build()
    assert [trainer._phase(e)[0] for e in range(3)] == ["detector", "regressor", "joint"]
    trainer._set_trainable("regressor")
    assert not any(p.requires_grad for p in trainer.model.detector.parameters())
    assert all(p.requires_grad for p in trainer.model.regressor.parameters())
    cfg = _tiny(lsp_dir, epochs=3, stage_schedule="sequential")
    trainer = Trainer(cfg, tmp_path / "deeppose", progress=Progress(io.StringIO()))
    trainer.model = trainer._build()
    assert [trainer._phase(e)[0] for e in range(3)] == ["stage 0", "stage 1", "stage 2"]
    trainer._set_trainable("stage 1")
    assert not any(p.requires_grad for p in trainer.model.initial.parameters())
    assert all(p.requires_grad for p in trainer.model.refiners[0].parameters())


def test_each_loss_runs_on_a_real_batch(tmp_path, lsp_dir):
    for name in ("recurrent-lite", "part_regression-lite", "cnn_lstm-lite"):
        cfg = _tiny(lsp_dir, model=name, epochs=1, max_train=16, occlusion="exclude" if name.startswith("rec") else "include")
        result = Trainer(cfg, tmp_path / name, progress=Progress(io.StringIO())).run()
        assert np.isfinite(result["history"][0]["train_loss"])


def test_occlusion_modes_change_the_targets():
    from poseapp.engine.losses import _occlusion_targets

    target = torch.zeros(1, 3, 8, 8)
    target[0, :, 4, 4] = 1.0
    target[0, :, 4, 5] = 0.5
    vis = torch.tensor([[2.0, 1.0]])  # joint 1 occluded; map 2 is the part joining them
    weight = torch.ones(1, 3)
    t_inc, w_inc, m_inc = _occlusion_targets(target, weight, vis, [(0, 1)], "include")
    t_exc, w_exc, m_exc = _occlusion_targets(target, weight, vis, [(0, 1)], "exclude")
    t_ign, w_ign, m_ign = _occlusion_targets(target, weight, vis, [(0, 1)], "ignore")
    assert torch.equal(t_inc, target) and m_inc.min() == 1
    assert t_exc[0, 1].max() == 0 and t_exc[0, 2].max() == 0 and t_exc[0, 0].max() == 1
    assert m_ign[0, 1, 4, 4] == 0 and m_ign[0, 1, 0, 0] == 1 and m_ign[0, 0].min() == 1
    assert torch.equal(w_inc, weight) and torch.equal(w_exc, weight) and torch.equal(w_ign, weight)


def test_joints_invisible_without_a_place_train_empty_maps_only_in_exclude_mode():
    """LSPET's flag-0 joints (no position) reach the loss as visibility -1 with no target from the
    codec; exclude mode trains their maps (and their limbs') to be empty, the others leave them out."""
    from poseapp.engine.losses import _occlusion_targets

    target = torch.zeros(1, 3, 8, 8)
    target[0, 0, 4, 4] = 1.0  # joint 0 placed; joint 1 invisible, so its map and the part are empty
    vis = torch.tensor([[2.0, -1.0]])
    weight = torch.tensor([[1.0, 0.0, 0.0]])  # what the codec gives: no target where v <= 0
    for mode in ("include", "ignore"):
        _, w, _ = _occlusion_targets(target, weight, vis, [(0, 1)], mode)
        assert torch.equal(w, weight), mode
    t, w, _ = _occlusion_targets(target, weight, vis, [(0, 1)], "exclude")
    assert w.tolist() == [[1.0, 1.0, 1.0]] and t[0, 1:].max() == 0 and t[0, 0].max() == 1


def test_lspet_invisible_joints_follow_the_crop_into_training(lspet_dir):
    from poseapp.data import load_samples
    from poseapp.engine.dataset import UNPLACED_INVISIBLE, ImageCache, PoseDataset
    from poseapp.data.augment import AugmentConfig
    from poseapp.models import build_model

    samples = load_samples(f"lspet:{lspet_dir}")
    marked = [s for s in samples if s.invisible]
    assert sum(len(s.invisible) for s in samples) == 16787  # every flag-0 joint of the file
    sample = marked[0]
    assert all(sample.keypoints[j, 2] == 0 for j in sample.invisible)
    codec = build_model("recurrent-lite").codec()
    flips = AugmentConfig(rotation=0, scale=(1.0, 1.0), flip=True, shift=0, colour=0)
    dataset = PoseDataset([sample] * 8, codec, 128, flips, ImageCache())
    perm = dataset.flip_perm
    seen = set()
    for i in range(8):
        _, _, weight, kps = dataset[i]
        marks = tuple(sorted(int(j) for j in np.flatnonzero(kps[:, 2].numpy() == UNPLACED_INVISIBLE)))
        seen.add(marks)
        assert all(weight[j] == 0 for j in marks)  # no keypoint target from the codec
    plain, mirrored = tuple(sorted(sample.invisible)), tuple(sorted(perm.index(j) for j in sample.invisible))
    assert seen <= {plain, mirrored} and len(seen) == 2 or plain == mirrored


def test_ddp_with_two_cpu_processes(tmp_path, lsp_dir):
    out = tmp_path / "ddp"
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({
        "model": "deeppose-lite", "data": [f"lsp:{lsp_dir}"], "epochs": 1, "batch_size": 4, "max_train": 32,
        "max_val": 8, "warmup_steps": 2, "log_every": 1, "amp": "off", "stage_schedule": "joint",
    }))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
         "-m", "poseapp", "train", "--config", str(config), "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    start = next(e for e in events if e["event"] == "start")
    assert start["world_size"] == 2 and start["steps_per_epoch"] == 4  # 32 samples / (4 per step x 2 ranks)
    assert sum(e["event"] == "start" for e in events) == 1  # only rank 0 reports
    assert events[-1]["event"] == "done"
    assert (out / ckpt.WEIGHTS).is_file() and not list(out.glob("*.tmp"))
    assert load_file(str(out / ckpt.WEIGHTS))


def test_finetune_on_a_project(tmp_path, small_lsp, lsp_dir, capsys):
    from poseapp.cli import main
    from poseapp.formats import import_source
    from poseapp.store import Project

    base = tmp_path / "base"
    Trainer(_tiny(lsp_dir, model="recurrent-lite", epochs=1, max_train=16, hints=0.5), base, progress=Progress(io.StringIO())).run()
    for n in range(6, 12):  # fine-tuning needs 12 people (8 to train on, 3 to validate on)
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", small_lsp / "images" / f"im{n:04d}.jpg")
    project = tmp_path / "p.poseapp"
    with Project.open(project, create=True) as p:
        import_source(p, small_lsp)
    assert main(["finetune", "--model", str(base), "--project", str(project), "--epochs", "1", "--out", str(tmp_path / "ft")]) == 0
    card = json.loads((tmp_path / "ft" / ckpt.CARD).read_text())
    assert card["training"]["config"]["init_from"] == str(base)
    assert card["training"]["data"] == [f"project:{project}"]
    assert card["training"]["config"]["hints"] == 0.5  # a hint-trained model fine-tunes with hints too
    # the card keeps the parent's history, so it stays true after the parent folder is retrained
    parent = card["training"]["initialized_from"]
    assert parent["path"] == str(base) and parent["epochs_run"] == 1 and parent["config"]["model"] == "recurrent-lite"
    from poseapp.engine.model_card import render

    assert f"started from `{parent['model']}`: 1 epochs of recurrent-lite" in render(card)


def test_finetune_takes_the_default_model_by_name_and_writes_to_the_users_models(tmp_path, small_lsp, lsp_dir, monkeypatch):
    """`--model default` (or a name) as predict takes it; a shipped model's fine-tuned copy goes to
    the user's models folder, not into the installation."""
    from poseapp.cli import main
    from poseapp.engine.zoo import default_model_name
    from poseapp.formats import import_source
    from poseapp.store import Project

    monkeypatch.setenv("POSEAPP_HOME", str(tmp_path / "home"))
    for n in range(6, 12):
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", small_lsp / "images" / f"im{n:04d}.jpg")
    project = tmp_path / "p.poseapp"
    with Project.open(project, create=True) as p:
        import_source(p, small_lsp)
    assert main(["finetune", "--model", "default", "--project", str(project), "--epochs", "1", "--batch-size", "4"]) == 0
    out = tmp_path / "home" / "models" / f"{default_model_name()}-finetuned"
    assert json.loads((out / ckpt.CARD).read_text())["training"]["data"] == [f"project:{project}"]


def test_finetune_of_the_lsp14_default_on_a_coco17_project_trains_a_coco17_model_from_it(tmp_path, coco_json, monkeypatch, capsys):
    """Issue #26 item 2: fine-tuning a model on a project whose people have another skeleton
    trains a model of theirs, started from it: COCO-17 from LSP-14 keeps the 12 shared joints'
    channels, the face joints are new; the plan says so first, and which joints have too few
    labels to learn; the card records the parent and the mapping."""
    from poseapp.cli import main
    from poseapp.formats import import_source
    from poseapp.store import Project

    monkeypatch.setenv("POSEAPP_HOME", str(tmp_path / "home"))
    project = tmp_path / "coco.poseapp"
    with Project.open(project, create=True) as p:
        import_source(p, coco_json)
    from poseapp.engine.zoo import default_model_name

    out = tmp_path / "ft"
    # the LSP-14 default by name ("default" would pick the shipped COCO-17 model for this project)
    assert main(["finetune", "--model", default_model_name(), "--project", str(project), "--epochs", "1", "--batch-size", "4",
                 "--out", str(out)]) == 0
    plan = json.loads(capsys.readouterr().out.splitlines()[0])["summary"]

    start = default_model_name()
    assert (f"A COCO-17 model for this project, started from {start} (LSP-14): 5 new joints (nose, left_eye, right_eye, "
            f"left_ear, right_ear) start fresh; 12 kept from {start}.") in plan
    assert "Too few labels to learn (under 20 labelled people each): nose (" in plan
    assert "Time per epoch on this CPU: about" in plan  # a few of the run's steps, timed before it starts
    card = json.loads((out / ckpt.CARD).read_text())
    assert card["skeleton"]["name"] == "coco17" and card["config"]["num_joints"] == 17
    transfer = card["training"]["initialized_from"]["transfer"]
    assert len(transfer["joints_kept"]) == 12 and transfer["new_joints"][0] == "nose"
    val = card["metrics"]["validation_crops"]["pck@0.2"]
    assert {"head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle"} <= set(val) and 0.0 <= val["total"] <= 100.0


def test_every_shipped_config_parses():
    import glob

    configs = sorted(glob.glob(os.path.join(REPO, "configs", "*.json")))
    assert len(configs) >= 5
    for path in configs:
        if json.loads(Path(path).read_text()).get("task") == "person-detector":
            continue  # the person detector's own trainer reads these (poseapp/detection)
        cfg = TrainConfig.from_file(path)
        assert cfg.data and cfg.epochs > 0, path


def test_bad_config_names_the_file_and_option(tmp_path):
    from poseapp.core.errors import DataError

    bad = tmp_path / "bad.json"
    bad.write_text('{"model": "recurrent-lite", "epochz": 3}')
    with pytest.raises(DataError, match="epochz"):
        TrainConfig.from_file(bad)
    bad.write_text('{"model": "recurrent-lite",')
    with pytest.raises(DataError, match="bad.json"):
        TrainConfig.from_file(bad)


def test_people_annotated_on_video_frames_are_training_samples(tmp_path):
    """Corrections made on a video's frames train the model too: samples point at the video and
    frame, the cache decodes exactly that frame, and evaluation reads it as one picture."""
    from poseapp.core.skeleton import preset
    from poseapp.data import load_samples
    from poseapp.engine.dataset import ImageCache, PoseDataset
    from poseapp.engine.evaluate import evaluate
    from poseapp.engine.predictor import Predictor
    from poseapp.formats.ingest import add_media
    from poseapp.media.video import VideoReader
    from poseapp.models import build_model
    from poseapp.store import Instance, Project
    from conftest import make_model_folder

    video = os.path.join(REPO, "resources", "demo", "pedestrians.mp4")
    path = tmp_path / "v.poseapp"
    rng = np.random.default_rng(0)
    with Project.open(path, create=True) as project:
        add_media(project, video)
        source = project.sources()[0]
        project.ensure_skeleton(preset("lsp14"))
        for index in (5, 40):
            frame = project.frame_by_index(source.id, index)
            kps = np.column_stack([rng.uniform(300, 360, 14), rng.uniform(200, 330, 14), np.full(14, 2.0)])
            project.add_instance(Instance(frame_id=frame.id, skeleton="lsp14", keypoints=kps, origin="manual"))
    samples = load_samples(f"project:{path}")
    assert sorted(s.video_frame for s in samples) == [5, 40]
    assert {s.image_key for s in samples} == {f"{video}#5", f"{video}#40"}
    cache = ImageCache()
    cache.preload(samples)
    reader = VideoReader(video)
    for s in samples:
        assert np.array_equal(cache.get(s), reader.read(s.video_frame))
    codec = build_model("recurrent-lite").codec()
    crop, target, weight, kps = PoseDataset(samples, codec, 128, None, cache)[0]
    assert crop.shape == (3, 128, 128) and weight.sum() > 0
    predictor = Predictor.from_path(make_model_folder(tmp_path / "m"), device="cpu")
    metrics = evaluate(predictor, samples)
    assert metrics["n_images"] == 2 and metrics["n_people"] == 2


@pytest.mark.parametrize("keep", ["last", "best"])
def test_the_run_ships_the_epoch_its_config_says(tmp_path, lsp_dir, keep):
    """'last' makes no choice on the validation split; 'best' picks by it and the card says so."""
    from poseapp.engine.model_card import render

    out = tmp_path / keep
    result = Trainer(_tiny(lsp_dir, epochs=3, keep=keep), out, progress=Progress(io.StringIO())).run()
    card = json.loads((out / ckpt.CARD).read_text())
    totals = [h["val"]["pck@0.2"]["total"] for h in result["history"]]
    want = 2 if keep == "last" else int(np.argmax(totals))  # argmax: the first of equal bests, as the trainer
    assert card["training"]["kept"] == keep and card["training"]["kept_epoch"] == want
    assert card["metrics"]["validation_crops"]["pck@0.2"]["total"] == totals[want]
    text = render(card)
    assert ("no choice was made on the validation split" in text) == (keep == "last")
    assert ("a little optimistic" in text) == (keep == "best")


def test_a_run_folder_with_another_config_is_refused_not_overwritten(tmp_path, lsp_dir):
    """Re-running into a finished run's folder with a changed config must not start afresh over it;
    an option added to poseapp later (absent from the saved run) matches at its default."""
    from poseapp.core.errors import PoseAppError

    out = tmp_path / "run"
    Trainer(_tiny(lsp_dir, epochs=1), out, progress=Progress(io.StringIO())).run()
    weights = (out / ckpt.WEIGHTS).read_bytes()
    with pytest.raises(PoseAppError, match=r"another config \(differs in lr\).*new --out folder"):
        Trainer(_tiny(lsp_dir, epochs=1, lr=0.5), out, progress=Progress(io.StringIO())).run()
    assert (out / ckpt.WEIGHTS).read_bytes() == weights
    saved = json.loads(ckpt.load_state(out)["config"])
    del saved["keep"]  # as written before the option existed
    assert _tiny(lsp_dir, epochs=1).differences(json.dumps(saved)) == []
    assert _tiny(lsp_dir, epochs=1, keep="best").differences(json.dumps(saved)) == ["keep"]
    stream = io.StringIO()
    Trainer(_tiny(lsp_dir, epochs=1), out, progress=Progress(stream)).run()  # the same config: resumes, done
    assert [e["event"] for e in _events(stream)][-1] == "done" and (out / ckpt.WEIGHTS).read_bytes() == weights


def test_run_with_hints_and_ema_resumes_to_the_same_weights_and_ema(tmp_path, lsp_dir):
    """Hint sampling, the EMA and the schedule follow the global step across an interruption."""
    cfg = dict(model="recurrent-lite", hints=0.5, ema_decay=0.9, max_steps=5, max_train=48, batch_size=8, epochs=3)
    Trainer(_tiny(lsp_dir, **cfg), tmp_path / "straight", progress=Progress(io.StringIO())).run()
    stopped = Trainer(_tiny(lsp_dir, max_minutes=0.0, **cfg), tmp_path / "resumed", progress=Progress(io.StringIO())).run()
    assert stopped["stopped"]
    stream = io.StringIO()
    result = Trainer(_tiny(lsp_dir, **cfg), tmp_path / "resumed", progress=Progress(stream)).run()
    assert not result["stopped"] and result["history"][-1]["steps"] == 5  # the run ends inside epoch 0
    # the counters agree: one (cut-short) epoch of the three planned, the 5 steps of 5
    assert _events(stream)[-1] == {**_events(stream)[-1], "event": "done", "steps": 5, "total_steps": 5,
                                   "epochs": 1, "epochs_planned": 3}
    a, b = ckpt.load_state(tmp_path / "straight"), ckpt.load_state(tmp_path / "resumed")
    for part in ("model", "ema"):
        for key in a[part]:
            torch.testing.assert_close(a[part][key], b[part][key], rtol=0, atol=0, msg=f"{part} {key}")
    assert b["resumes"] == 1
    card = json.loads((tmp_path / "resumed" / ckpt.CARD).read_text())
    assert card["training"]["resumes"] == 1 and card["training"]["weights"] == "EMA" and "train_crops" in card["metrics"]
    # the shipped weights are the EMA's
    shipped = load_file(str(tmp_path / "resumed" / ckpt.WEIGHTS))
    torch.testing.assert_close(shipped["layer7.weight"], b["ema"]["layer7.weight"], rtol=0, atol=0)


def test_a_resume_may_change_how_hints_are_drawn_and_add_hint_inputs_and_the_card_says_when(tmp_path, lsp_dir):
    """A long run's hint recipe can change on resume (issue #13): the change is logged with its step
    and kept in the card; a recurrent module that starts reading hints resumes with zero weights on
    the new channels, so the resumed model computes what the saved one did; other changes are refused."""
    from poseapp.core.errors import PoseAppError

    cfg = dict(model="recurrent-lite", hints=0.5, ema_decay=0.9, max_steps=6, max_train=48, batch_size=8, epochs=3)
    out = tmp_path / "run"
    assert Trainer(_tiny(lsp_dir, max_minutes=0.0, **cfg), out, progress=Progress(io.StringIO())).run()["stopped"]
    saved = ckpt.load_state(out)
    changed = dict(cfg, hint_worst=0.5, hint_limb_ends="estimate", model_overrides={"hint_input": True})
    trainer = Trainer(_tiny(lsp_dir, max_minutes=0.0, **changed), out, progress=Progress(io.StringIO()))
    trainer._setup()
    trainer._restore(saved)
    x = torch.randn(2, 3, 128, 128)
    old = build_model("recurrent-lite")
    old.load_state_dict(saved["model"])
    with torch.no_grad():
        # equal up to float rounding: the wider convolution may sum its (zero) extra channels in another order
        torch.testing.assert_close(trainer.model.eval()(x), old.eval()(x), rtol=1e-5, atol=1e-6)
    assert [c["option"] for c in trainer.recipe_changes] == ["hint_limb_ends", "hint_worst", "model_overrides.hint_input"]
    stream = io.StringIO()
    result = Trainer(_tiny(lsp_dir, **changed), out, progress=Progress(stream)).run()
    assert not result["stopped"]
    logged = [e for e in _events(stream) if e["event"] == "recipe_change"]
    assert {e["option"]: (e["from"], e["to"]) for e in logged} == {
        "hint_worst": (0.0, 0.5), "hint_limb_ends": ("truth", "estimate"), "model_overrides.hint_input": (False, True)}
    card = json.loads((out / ckpt.CARD).read_text())
    assert [c["step"] for c in card["training"]["recipe_changes"]] == [logged[0]["step"]] * 3
    assert card["config"]["hint_input"] is True
    with pytest.raises(PoseAppError, match=r"differs in lr"):
        Trainer(_tiny(lsp_dir, **dict(changed, lr=0.5)), out, progress=Progress(io.StringIO())).run()


def test_schedule_warms_up_then_follows_one_cosine_over_max_steps(tmp_path, lsp_dir):
    trainer = Trainer(_tiny(lsp_dir, max_steps=100, warmup_steps=10, epochs=50), tmp_path / "s", progress=Progress(io.StringIO()))
    trainer.total_steps = 100
    factors = [trainer._lr_factor(s) for s in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(x >= y for x, y in zip(factors[10:], factors[11:]))
    assert factors[55] == pytest.approx(0.02 + 0.98 * 0.5, abs=0.02) and factors[99] == pytest.approx(0.02, abs=1e-3)


@pytest.mark.parametrize("bad", [
    {"optimizer": "SGD"}, {"optimizer": "adam"}, {"epochs": 0}, {"batch_size": 2.5}, {"lr": -1}, {"ema_decay": 1.0},
    {"hints": 1.5}, {"cascade_schedule": "stagd"}, {"channels_last": "yes"}, {"max_steps": 0},
    {"model_overrides": {"widthz": [1, 2, 3]}}, {"augment": {"rotaton": 30}}, {"threads": 0},
])
def test_every_config_field_is_validated(bad):
    from poseapp.core.errors import DataError

    with pytest.raises(DataError):
        TrainConfig.from_dict({"model": "recurrent-lite", **bad})


def test_a_run_saved_into_git_and_restored_elsewhere_resumes_bit_exactly(tmp_path, lsp_dir):
    """scripts/save_run_state.py: the state copied into a tracked folder, then restored into a
    fresh run folder (a new clone), resumes to the weights of an uninterrupted run."""
    cfg = dict(model="recurrent-lite", hints=0.5, ema_decay=0.9, max_steps=4, max_train=32, batch_size=8)
    Trainer(_tiny(lsp_dir, **cfg), tmp_path / "straight", progress=Progress(io.StringIO())).run()
    Trainer(_tiny(lsp_dir, max_minutes=0.0, **cfg), tmp_path / "run", progress=Progress(io.StringIO())).run()
    script = os.path.join(REPO, "scripts", "save_run_state.py")
    env = {**os.environ, "PYTHONPATH": REPO}
    for args in ([str(tmp_path / "run"), str(tmp_path / "runs-state" / "x")],
                 ["--restore", str(tmp_path / "runs-state" / "x"), str(tmp_path / "clone")]):
        done = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "runs-state" / "x" / "MANIFEST.json").read_text())
    assert manifest["batch"] == 1 and ckpt.STATE in manifest["files"]
    Trainer(_tiny(lsp_dir, **cfg), tmp_path / "clone", progress=Progress(io.StringIO())).run()
    a, b = ckpt.load_state(tmp_path / "straight"), ckpt.load_state(tmp_path / "clone")
    for part in ("model", "ema"):
        for key in a[part]:
            torch.testing.assert_close(a[part][key], b[part][key], rtol=0, atol=0, msg=f"{part} {key}")
    # restoring an older state over a run that went further is refused
    done = subprocess.run([sys.executable, script, "--restore", str(tmp_path / "runs-state" / "x"), str(tmp_path / "clone")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0 and "later state" in done.stderr


def test_card_tells_the_recipe_fit_and_learning_curve(tmp_path, lsp_dir):
    from poseapp.engine.model_card import render

    out = tmp_path / "run"
    Trainer(_tiny(lsp_dir, model="recurrent-lite", epochs=2, hints=0.5, ema_decay=0.9, train_eval=8), out,
            progress=Progress(io.StringIO())).run()
    card = json.loads((out / ckpt.CARD).read_text())
    text = render(card)
    assert "resumed 0 time(s)" in text and "weights: EMA (decay 0.9)" in text and "hint training: 50%" in text
    train = card["metrics"]["train_crops"]["pck@0.2"]["total"]
    assert f"PCK@0.2 {train:.1f} on 8 training people" in text
    assert text.count("\n| 1 | ") == 1 and text.count("\n| 2 | ") == 1  # one learning-curve row per epoch


def test_dilated_bf16_model_trains_with_finite_losses_and_a_diverging_run_stops(tmp_path, lsp_dir):
    """bf16 channels-last dilated convolutions give NaN gradients in oneDNN: the trainer keeps such
    a model in the default layout; and a loss that does turn non-finite stops the run."""
    from poseapp.core.errors import PoseAppError

    dilated = {"widths": [8, 16, 32], "context_width": 32, "fusion_width": 32, "recurrent_width": 16,
               "context_kernel": 3, "context_dilation": 3, "recurrent_kernel": 3, "recurrent_dilation": 3}
    stream = io.StringIO()
    cfg = _tiny(lsp_dir, model="recurrent-lite", model_overrides=dilated, amp="bf16", max_steps=3, max_train=24)
    result = Trainer(cfg, tmp_path / "d", progress=Progress(stream)).run()
    assert np.isfinite(result["history"][-1]["train_loss"])
    start = next(e for e in _events(stream) if e["event"] == "start")
    if cpu_has_fast_bf16():
        assert start["amp"] == "bfloat16" and start["channels_last"] is False
    else:  # emulated bf16 is 50x slower and lacks an LSTM: such a CPU trains in fp32, and says so
        assert start["amp"] == "off" and "no native bf16" in start["amp_note"]
    with pytest.raises(PoseAppError, match="non-finite training loss"):
        Trainer(_tiny(lsp_dir, model="recurrent-lite", lr=1e30, optimizer="sgd", max_train=24, epochs=3),
                tmp_path / "x", progress=Progress(io.StringIO())).run()
