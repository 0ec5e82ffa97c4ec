"""The predictor maps crops back to image coordinates; checkpoints load without running code."""

import json

import numpy as np
import pytest
import torch

from poseapp.core.errors import DataError
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.predictor import Predictor
from poseapp.media.images import read_image
from poseapp.models import build_model


@pytest.fixture(scope="module")
def lite_model_dir(tmp_path_factory):
    from conftest import make_model_folder

    folder = make_model_folder(tmp_path_factory.mktemp("models") / "rec", seed=3)
    # batch norm with non-trivial running statistics, so outputs vary with the input
    model, _ = ckpt.load_model(folder)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 128, 128))
    ckpt.save_weights(model.eval(), folder)
    return folder


def test_pasted_image_gives_the_same_keypoints_shifted_by_the_offset(lite_model_dir, lsp_dir):
    predictor = Predictor.from_path(lite_model_dir, device="cpu")
    image = read_image(lsp_dir / "images" / "im0005.jpg")
    h, w = image.shape[:2]
    canvas = np.zeros((h + 300, w + 400, 3), np.uint8)
    dx, dy = 173, 91
    canvas[dy : dy + h, dx : dx + w] = image
    box = (0.0, 0.0, float(w), float(h))
    alone = predictor.predict(image, [box], keep_heatmaps=True)[0]
    pasted = predictor.predict(canvas, [(dx, dy, float(w), float(h))], keep_heatmaps=True)[0]
    np.testing.assert_allclose(pasted.keypoints[:, :2], alone.keypoints[:, :2] + [dx, dy], atol=1e-4)
    np.testing.assert_allclose(pasted.stages, alone.stages + [dx, dy], atol=1e-4)
    assert pasted.stages.shape == (3, 14, 2) and pasted.stage_names[0] == "feed-forward"
    # the heatmap placement follows too: cell (0, 0) lands at the same image point + offset
    np.testing.assert_allclose(pasted.heatmap_to_image[:, 2], alone.heatmap_to_image[:, 2] + [dx, dy], atol=1e-6)


def test_heatmap_to_image_maps_a_decoded_peak_to_its_keypoint(lite_model_dir, lsp_dir):
    predictor = Predictor.from_path(lite_model_dir, device="cpu")
    image = read_image(lsp_dir / "images" / "im0010.jpg")
    pred = predictor.predict(image, [(5.0, 8.0, 60.0, 120.0)], keep_heatmaps=True)[0]
    from poseapp.codecs.decode import decode_heatmaps

    uv, _ = decode_heatmaps(pred.heatmaps[-1], "dark")
    mapped = uv @ pred.heatmap_to_image[:, :2].T + pred.heatmap_to_image[:, 2]
    np.testing.assert_allclose(mapped, pred.keypoints[:, :2], atol=1e-6)


def test_flip_test_and_iterations(lite_model_dir, lsp_dir):
    image = read_image(lsp_dir / "images" / "im0003.jpg")
    box = (0.0, 0.0, float(image.shape[1]), float(image.shape[0]))
    plain = Predictor.from_path(lite_model_dir, device="cpu")
    flipped = Predictor.from_path(lite_model_dir, device="cpu", flip_test=True)
    assert plain.predict(image, [box], iterations=0)[0].stages.shape[0] == 1
    assert plain.predict(image, [box], iterations=3)[0].stages.shape[0] == 4
    a = plain.predict(image, [box])[0].keypoints
    b = flipped.predict(image, [box])[0].keypoints
    assert a.shape == b.shape and not np.allclose(a, b)


def test_weights_only_loading_rejects_pickled_code(lite_model_dir, tmp_path):
    import os
    import pickle
    import shutil

    folder = tmp_path / "evil"
    shutil.copytree(lite_model_dir, folder)

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (folder / ckpt.STATE).write_bytes(pickle.dumps({"model": Payload()}))
    with pytest.raises(Exception):
        ckpt.load_state(folder)
    assert not (tmp_path / "pwned").exists()


def test_wrong_skeleton_or_architecture_is_a_clear_error(lite_model_dir, tmp_path):
    with pytest.raises(DataError, match="lsp14 skeleton, not coco17"):
        ckpt.load_model(lite_model_dir, expect_skeleton="coco17")
    with pytest.raises(DataError, match="recurrent model, not deeppose"):
        ckpt.load_model(lite_model_dir, expect_architecture="deeppose")
    # weights of another architecture under this card
    import shutil

    other = tmp_path / "mismatch"
    shutil.copytree(lite_model_dir, other)
    ckpt.save_weights(build_model("deeppose-lite"), other)
    with pytest.raises(DataError, match="do not fit"):
        ckpt.load_model(other)
    broken = tmp_path / "broken"
    shutil.copytree(lite_model_dir, broken)
    (broken / ckpt.CARD).write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        ckpt.load_model(broken)
    card = json.loads((lite_model_dir / ckpt.CARD).read_text())
    assert card["architecture"] == "recurrent" and card["skeleton"]["name"] == "lsp14"


def test_hog_detector_finds_the_walkers(video_path):
    from poseapp.engine.detector import HogPersonDetector
    from poseapp.media.video import VideoReader

    frame = VideoReader(video_path).read(100)
    found = HogPersonDetector().detect(frame)
    assert len(found) >= 2
    for (x, y, w, h), score in found:
        assert 0.3 < w / h < 0.7  # upright people


def test_gui_model_run_finds_the_same_people_as_poseapp_predict(project, video_path, lite_model_dir):
    """The GUI (frame_runner) and the CLI (predict_source) take boxes at one detector scale: on a
    video frame both predict the same people in the same boxes."""
    from poseapp.engine.frame_runner import predict_frames
    from poseapp.engine.inference import predict_source
    from poseapp.engine.predictor import Predictor
    from poseapp.formats.ingest import add_media

    predictor = Predictor.from_path(lite_model_dir, device="cpu")
    add_media(project, video_path)
    frame = project.frame_by_index(project.sources()[0].id, 100)
    gui = predict_frames(project, [frame.id], predictor, keep_heatmaps=False)[0]
    # every 101st frame from 0: frame 100 is the second, and with a stride no tracking is involved
    cli, _ = predict_source(predictor, video_path, max_frames=2, every=100)
    cli_boxes = sorted(tuple(r["bbox"]) for r in cli if r["frame"] == 100)
    gui_boxes = sorted(tuple(round(v, 2) for v in p.box) for p in gui.predictions)
    assert len(gui_boxes) >= 3 and gui_boxes == cli_boxes


def test_people_in_video_keep_their_track_id_into_the_project_and_the_coco_export(tmp_path, video_path):
    """The detector runs every few frames and poses carry people between runs; each person keeps
    one track id (PoseTrack's field) from poseapp predict, through the project, into COCO."""
    import json

    from poseapp.engine.frame_runner import predict_frames
    from poseapp.engine.inference import predict_source
    from poseapp.engine.tracking import DETECT_EVERY
    from poseapp.engine.zoo import resolve_model
    from poseapp.formats import export_project, import_source
    from poseapp.store import Project

    predictor = Predictor.from_path(resolve_model("default"))
    frames = 10 * DETECT_EVERY  # several detector runs, and followed frames between them
    results, summary = predict_source(predictor, video_path, max_frames=frames)
    assert summary["frames"] == frames and all("track_id" in r for r in results)
    by_frame: dict[int, dict[int, list]] = {}
    for r in results:
        by_frame.setdefault(r["frame"], {})[r["track_id"]] = r["bbox"]
    assert len(by_frame[0]) >= 2  # vtest's first frame has several walkers
    for f in range(1, frames):  # a track's box moves little from one frame to the next
        for tid, (x, y, w, h) in by_frame.get(f, {}).items():
            if tid in by_frame.get(f - 1, {}):
                px, py, pw, ph = by_frame[f - 1][tid]
                shift = np.hypot(x + w / 2 - px - pw / 2, y + h / 2 - py - ph / 2)
                assert shift < 0.5 * max(h, ph), (f, tid)
    survivors = set(by_frame[0]) & set(by_frame[frames - 1])
    assert survivors, "somebody walking in frame 0 is still followed under the same id"
    twice = [  # one person predicted twice: two boxes of a frame with nearly the same centre
        (f, a, b) for f, boxes in by_frame.items() for a in boxes for b in boxes
        if a < b and np.hypot(*(np.add(boxes[a][:2], np.divide(boxes[a][2:], 2)) - np.add(boxes[b][:2], np.divide(boxes[b][2:], 2))))
        < 0.25 * max(boxes[a][3], boxes[b][3])
    ]
    assert len(twice) <= len(results) // 20, twice

    with Project.open(tmp_path / "v.poseapp", create=True) as project:
        import_source(project, video_path)
        ids = project.frame_ids()[:frames]
        predict_frames(project, ids, predictor, keep_heatmaps=False)
        stored = [i.extra.get("track_id") for f in ids for i in project.instances(f)]
        assert stored and all(isinstance(t, int) for t in stored)
        assert len(set(stored)) < len(stored)  # the same people on several frames
        export_project(project, "coco", tmp_path / "v.json", include_predictions=True)
    exported = json.loads((tmp_path / "v.json").read_text())["annotations"]
    assert sorted(a["track_id"] for a in exported) == sorted(stored)


def test_a_run_that_starts_where_another_stopped_goes_on_with_its_track_ids_and_never_reuses_one(tmp_path, video_path):
    """Two runs over consecutive stretches of a video (a cancelled run, then Run on source from the
    current frame): the people followed at the boundary keep their ids, and a new person never gets
    an id that names somebody else in the video; a lone frame far away neither."""
    from poseapp.engine.frame_runner import predict_frames
    from poseapp.engine.zoo import resolve_model
    from poseapp.formats import import_source
    from poseapp.store import Project

    predictor = Predictor.from_path(resolve_model("default"))
    with Project.open(tmp_path / "v.poseapp", create=True) as project:
        import_source(project, video_path)
        ids = project.frame_ids()
        predict_frames(project, ids[:6], predictor, keep_heatmaps=False)
        first = {i.extra["track_id"]: i for i in project.instances(ids[5])}
        used = {i.extra["track_id"] for f in ids[:6] for i in project.instances(f)}
        predict_frames(project, ids[6:9], predictor, keep_heatmaps=False)
        second = {i.extra["track_id"]: i for i in project.instances(ids[6])}
        kept = set(first) & set(second)
        assert len(kept) >= 2, (sorted(first), sorted(second))  # the walkers go on under their ids
        for tid in kept:  # ... and each id still names the same walker
            a, b = first[tid].bbox, second[tid].bbox
            assert np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2) < 0.5 * max(a[3], b[3])
        new = set(second) - set(first)
        assert not new & used  # a new person takes an unused id
        predict_frames(project, [ids[40]], predictor, keep_heatmaps=False)
        far = {i.extra["track_id"] for i in project.instances(ids[40])}
        assert far and min(far) > max(used | set(second))
        assert project.max_track_id(project.frame(ids[40]).source_id) == max(far)


def test_inference_threads_follow_the_cores_other_programs_leave_idle():
    """With another program spinning on a core, the policy counts it and gives torch one core
    fewer (two threads on two cores collapsed 2-4x under such load)."""
    import subprocess
    import sys

    from poseapp.engine.threads import CorePolicy

    policy = CorePolicy(cores=2)
    spinner = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time() + 30\nwhile time.time() < t: pass"])
    try:
        import time

        time.sleep(0.3)
        policy.others_busy_cores()  # starts a window while the spinner runs
        time.sleep(0.5)
        assert policy.others_busy_cores() >= 0.7
        policy._decided_at = 0.0
        assert policy.threads() == 1
    finally:
        spinner.kill()
        spinner.wait()
    assert CorePolicy(cores=2, fixed=2).threads() == 2  # POSEAPP_THREADS / an explicit choice wins


def test_channels_last_inference_gives_the_same_keypoints(lsp_dir):
    from poseapp.engine.zoo import resolve_model
    from poseapp.media.images import read_image

    image = read_image(lsp_dir / "images" / "im0801.jpg")
    box = [(0.0, 0.0, float(image.shape[1]), float(image.shape[0]))]
    fast = Predictor.from_path(resolve_model("default")).predict(image, box)[0]
    plain = Predictor.from_path(resolve_model("default"), channels_last=False).predict(image, box)[0]
    np.testing.assert_allclose(fast.stages, plain.stages, atol=0.01)


def test_mirroring_keypoints_twice_gives_them_back_and_swaps_sides_once():
    from poseapp.core.skeleton import LSP14
    from poseapp.engine.predictor import mirror_keypoints

    perm = LSP14.flip_permutation()
    points = np.random.default_rng(0).uniform(0, 127, (2, 3, 14, 2))
    once = mirror_keypoints(points, perm, 128, axis=2)
    assert np.allclose(once[..., perm[0], 0], 127 - points[..., 0, 0])
    assert np.allclose(mirror_keypoints(once, perm, 128, axis=2), points)


def test_a_run_over_a_video_frame_with_annotations_keeps_the_track_ids_going(project, video_path):
    """Frames 0-7 run, a person on frame 4 accepted (an annotation now), then frames 0-7 run again:
    every walker the first run found is still on every frame (the re-run used to keep only the
    accepted walker on frame 4 and the frames after it, and predict that walker a second time),
    nobody is predicted twice, and every walker keeps the id the first run gave them."""
    from poseapp.engine.frame_runner import predict_frames
    from poseapp.engine.zoo import resolve_model
    from poseapp.formats.ingest import add_media
    from poseapp.store.edits import AcceptPrediction

    predictor = Predictor.from_path(resolve_model("default"))
    add_media(project, video_path)
    source = project.sources()[0].id
    frames = [project.frame_by_index(source, i).id for i in range(8)]
    predict_frames(project, frames, predictor, keep_heatmaps=False)

    def ids(frame_id):
        return sorted(i.extra.get("track_id") for i in project.instances(frame_id))

    first = {f: ids(f) for f in frames}
    assert all(len(first[f]) >= 3 for f in frames), first
    walker = max(project.instances(frames[4]), key=lambda i: i.score)
    AcceptPrediction(project, walker.id).apply()
    predict_frames(project, frames, predictor, keep_heatmaps=False)
    again = {f: ids(f) for f in frames}
    assert again == first, (again, first)  # the same people under the same ids; one record each
    accepted = project.instance(walker.id)
    assert accepted.origin == "manual" and accepted.extra["track_id"] in first[frames[4]]
