"""SLEAP .slp / .pkg.slp in and out (issue #26 item 4), on SLEAP's own sample files.

Round trips are exact: import -> export -> sleap-io reads the same points, visibility, scores,
tracks, skeleton (names, edges, symmetries) as it reads from the original; import again gives
the same records; a COCO export holds every point exactly as sleap-io sees it.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

sio = pytest.importorskip("sleap_io")

from poseapp.core.errors import DataError  # noqa: E402
from poseapp.core.skeleton import PRESETS, skeleton_title  # noqa: E402
from poseapp.formats import detect_format, export_project, import_source, read_source, sleap  # noqa: E402
from poseapp.store import Project  # noqa: E402

SLEAP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sleap"
FLY = SLEAP / "centered_pair_predictions.slp"
DANCE = SLEAP / "dance.mp4.labels.slp"
MINIMAL = SLEAP / "minimal_instance.slp"
COCO_SAMPLE = SLEAP.parent / "coco_sample" / "test_coco.json"
COCO_TRAIN = SLEAP.parent / "coco_mini_train" / "person_keypoints_train2017.json"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not there (see ../shared/data/README.md)")
    return path


def _frames(labels):
    """(video index, frame index) -> [(kind, points as sleap-io sees them, scores, track, score, linked)]."""
    out = {}
    for lf in labels.labeled_frames:
        rows = []
        for inst in lf.instances:
            predicted = type(inst).__name__ == "PredictedInstance"
            rows.append((
                type(inst).__name__, inst.numpy(), np.asarray(inst.points["visible"]),
                np.asarray(inst.points["xy"]), np.asarray(inst.points["score"]) if predicted else None,
                inst.track.name if inst.track is not None else None, float(inst.score) if predicted else None,
                inst.from_predicted is not None,
            ))
        out[(labels.videos.index(lf.video), int(lf.frame_idx))] = rows
    return out


def _assert_same_labels(a, b):
    fa, fb = _frames(a), _frames(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        assert len(fa[key]) == len(fb[key]), key
        for x, y in zip(fa[key], fb[key]):
            assert x[0] == y[0], key
            assert np.array_equal(x[1], y[1], equal_nan=True), key  # every point, a missing one stays NaN
            hidden_x, hidden_y = ~x[2] & np.isfinite(x[3][:, 0]), ~y[2] & np.isfinite(y[3][:, 0])
            assert np.array_equal(hidden_x, hidden_y) and np.array_equal(x[3][hidden_x], y[3][hidden_y]), key
            if x[4] is not None:
                assert np.allclose(np.nan_to_num(x[4]), y[4], atol=1e-6, rtol=0), key
                assert abs(x[6] - y[6]) <= 1e-6, key
            assert x[5] == y[5] and x[7] == y[7], key
    assert [t.name for t in a.tracks] == [t.name for t in b.tracks]
    assert len(a.skeletons) == len(b.skeletons)
    for sa, sb in zip(a.skeletons, b.skeletons):
        assert (sa.node_names, sa.edge_inds, sorted(sa.symmetry_inds)) == (
            sb.node_names, sb.edge_inds, sorted(sb.symmetry_inds))
        # a name SLEAP made up ("Skeleton-0") goes out as the one poseapp gave it; a user's as it was
        assert sb.name == sa.name or (sleap.is_automatic_name(sa.name) and sb.name.endswith(" skeleton")), (
            sa.name, sb.name)


def _records(project):
    out = []
    for frame_id in project.frame_ids():
        frame = project.frame(frame_id)
        for inst in project.instances(frame_id):
            out.append((project.source(frame.source_id).path, frame.index, frame.file_name, inst.skeleton, inst.origin,
                        inst.keypoints.tolist(), inst.score, None if inst.joint_scores is None else inst.joint_scores.tolist(),
                        {k: v for k, v in inst.extra.items()}))
    return out


def _roundtrip(tmp_path, source, name):
    first = Project.open(tmp_path / f"{name}.poseapp", create=True)
    import_source(first, source)
    out = tmp_path / f"{name}.slp"
    export_project(first, "slp", out)
    again = Project.open(tmp_path / f"{name}-again.poseapp", create=True)
    import_source(again, out)
    return first, out, again


@pytest.fixture(scope="module")
def fly(tmp_path_factory):
    """The 1,100-frame fly file imported and exported once for the module (no frame is decoded)."""
    tmp = tmp_path_factory.mktemp("fly")
    first, out, again = _roundtrip(tmp, _need(FLY), "fly")
    yield first, out, again
    first.close()
    again.close()


def test_detected_and_described():
    for path in (_need(FLY), _need(DANCE), _need(MINIMAL)):
        assert detect_format(path) == "slp"
    batch = read_source(DANCE)
    assert len(batch.images) == 450 and batch.instance_count == 453
    origins = [i.origin for im in batch.images for i in im.instances]
    assert origins.count("manual") == 3 and origins.count("predicted") == 450
    skeleton = batch.images[0].instances[0].skeleton
    # SLEAP named it "Skeleton-0" by itself: it comes in under the file's name
    assert skeleton.name == "custom:dance skeleton:17" and skeleton.joints[:3] == ("nose", "left_eye", "right_eye")
    video, index = batch.images[0].video  # found beside the .slp (the data folder may be a link)
    assert Path(video).resolve() == (DANCE.parent / "dance.mp4").resolve() and index == 0


def test_fly_round_trip_exact(fly):
    first, out, again = fly
    original, exported = sio.load_slp(str(FLY), open_videos=False), sio.load_slp(str(out), open_videos=False)
    _assert_same_labels(original, exported)
    assert first.instance_count() == 2274 and len(exported.tracks) == 27
    assert _records(first) == _records(again)


def test_fly_tracks_scores_and_skeleton(fly):
    first, _, _ = fly
    original = sio.load_slp(str(FLY), open_videos=False)
    lf = original.labeled_frames[0]
    people = first.instances(first.frame_ids()[lf.frame_idx])
    # the file's tracks are named 1-27: their ids are those numbers, so the window's #1 is SLEAP's "1"
    assert [p.extra["track_id"] for p in people] == [int(i.track.name) for i in lf.instances]
    assert [p.extra["track_name"] for p in people] == [i.track.name for i in lf.instances]
    assert all(p.origin == "predicted" and p.model_id == "sleap" for p in people)
    assert people[0].score == pytest.approx(float(lf.instances[0].score), abs=1e-6)
    skeleton = first.skeleton(people[0].skeleton)
    sk = original.skeletons[0]
    assert skeleton.joints == tuple(sk.node_names) and skeleton.edges == tuple(sk.edge_inds)


def test_fly_coco_export_is_what_sleap_reads(fly, tmp_path):
    first, _, _ = fly
    _assert_coco_matches_sleap(first, FLY, tmp_path)


def _assert_coco_matches_sleap(project, slp, tmp_path):
    """COCO export keypoints == sleap-io's points (NaN and not-visible points -> 0, 0, 0) for the same frames."""
    out = tmp_path / "coco.json"
    export_project(project, "coco", out, include_predictions=True)
    doc = json.loads(out.read_text())
    frame_of = {im["id"]: (im["sleap_video"], im["sleap_frame"]) for im in doc["images"]}
    by_frame = {}
    for ann in doc["annotations"]:
        by_frame.setdefault(frame_of[ann["image_id"]], []).append(np.array(ann["keypoints"], dtype=float).reshape(-1, 3))
    labels = sio.load_slp(str(slp), open_videos=False)
    seen = 0
    for lf in labels.labeled_frames:
        coco = by_frame[(labels.videos.index(lf.video), lf.frame_idx)]
        assert len(coco) == len(lf.instances)
        for kps, inst in zip(coco, lf.instances):
            pts = inst.numpy()  # what SLEAP's reader sees: NaN for missing and not-visible points
            known = np.all(np.isfinite(pts), axis=1)
            assert np.array_equal(kps[known, :2], pts[known]) and np.all(kps[known, 2] == 2)
            assert np.all(kps[~known] == 0)
            seen += 1
    assert seen == sum(len(lf.instances) for lf in labels.labeled_frames)


def test_dance_round_trip_user_and_predicted(tmp_path):
    first, out, again = _roundtrip(tmp_path, _need(DANCE), "dance")
    _assert_same_labels(sio.load_slp(str(DANCE), open_videos=False), sio.load_slp(str(out), open_videos=False))
    assert _records(first) == _records(again)
    users = [i for i in first.iter_instances() if i.origin == "manual"]
    assert len(users) == 3 and all("sleap_from_predicted" in i.extra for i in users)
    # SLEAP's not-visible points: not labelled (0) here, position kept for the way back
    hidden = [(i, j) for i in users for j in i.extra.get("sleap_hidden", [])]
    assert len(hidden) == 3 and all(i.keypoints[j, 2] == 0 and i.keypoints[j, 0] > 0 for i, j in hidden)
    _assert_coco_matches_sleap(first, DANCE, tmp_path)
    first.close()
    again.close()


def test_a_correction_goes_out_as_sleap_user_instance(tmp_path):
    project = Project.open(tmp_path / "m.poseapp", create=True)
    import_source(project, _need(MINIMAL))
    inst = project.iter_instances().__next__()
    kps = inst.keypoints.copy()
    kps[0, :2] = (10.5, 20.25)
    project.update_instance(inst.id, keypoints=kps)
    out = tmp_path / "m.slp"
    export_project(project, "slp", out)
    labels = sio.load_slp(str(out), open_videos=False)
    first = labels.labeled_frames[0].instances[0]
    assert type(first).__name__ == "Instance" and tuple(first.numpy()[0]) == (10.5, 20.25)
    project.close()


def test_symmetries_and_edges_survive(tmp_path):
    """No shared sample has symmetries: one is made with sleap-io from the minimal file."""
    labels = sio.load_slp(str(_need(MINIMAL)), open_videos=False)
    labels.skeletons[0].add_symmetry("A", "B")
    labels.tracks.append(sio.Track(name="mouse"))
    labels.labeled_frames[0].instances[1].track = labels.tracks[0]
    made = tmp_path / "sym.slp"
    shutil.copy(MINIMAL.parent / "centered_pair_low_quality.mp4", tmp_path / "centered_pair_low_quality.mp4")
    labels.save(str(made))
    first, out, again = _roundtrip(tmp_path, made, "sym")
    skeleton = first.skeleton(next(first.iter_instances()).skeleton)
    assert skeleton.flip_pairs == ((0, 1),) and skeleton.edges == ((0, 1),)
    _assert_same_labels(sio.load_slp(str(made), open_videos=False), sio.load_slp(str(out), open_videos=False))
    assert _records(first) == _records(again)
    first.close()
    again.close()


def test_pkg_slp_embedded_frames(tmp_path):
    """A .pkg.slp whose source video is gone: its embedded frames are written beside the project."""
    work = tmp_path / "data"
    work.mkdir()
    shutil.copy(_need(MINIMAL), work / "minimal_instance.slp")
    shutil.copy(MINIMAL.parent / "centered_pair_low_quality.mp4", work / "centered_pair_low_quality.mp4")
    labels = sio.load_slp(str(work / "minimal_instance.slp"))
    pkg = work / "minimal.pkg.slp"
    labels.save(str(pkg), embed="user", verbose=False)
    (work / "centered_pair_low_quality.mp4").unlink()
    assert detect_format(pkg) == "slp"
    project = Project.open(tmp_path / "p.poseapp", create=True)
    import_source(project, pkg)
    frame = project.frame(project.frame_ids()[0])
    image = Path(project.frame_path(frame))
    assert image.is_file() and image.parent.parent.parent == tmp_path / "p-media"
    pts = sio.load_slp(str(pkg)).labeled_frames[0].instances[0].numpy()
    assert np.array_equal(project.instances(frame.id)[0].keypoints[:, :2], pts)
    project.close()


def test_missing_video_is_named(tmp_path):
    lonely = tmp_path / "dance.mp4.labels.slp"
    shutil.copy(_need(DANCE), lonely)
    project = Project.open(tmp_path / "p.poseapp", create=True)
    with pytest.raises(DataError) as info:
        import_source(project, lonely)
    assert str(lonely) in str(info.value) and "dance.mp4" in str(info.value) and "not there" in str(info.value)
    assert project.frame_count() == 0
    # dance's file does not store the video's frame size, so even allowed to miss it cannot come in
    with pytest.raises(DataError, match="frame size"):
        import_source(project, lonely, allow_missing_images=True)
    assert project.frame_count() == 0 and not project.sources()
    project.close()


def test_truncated_slp_is_refused_and_changes_nothing(tmp_path):
    project = Project.open(tmp_path / "p.poseapp", create=True)
    import_source(project, _need(MINIMAL))
    before = (project.frame_count(), project.instance_count(), len(project.sources()))
    cut = tmp_path / "cut.slp"
    cut.write_bytes(DANCE.read_bytes()[:50_000])
    with pytest.raises(DataError) as info:
        import_source(project, cut)
    assert str(cut) in str(info.value) and "cut off" in str(info.value)
    not_hdf5 = tmp_path / "text.slp"
    not_hdf5.write_text("hello")
    with pytest.raises(DataError, match="not a SLEAP file"):
        import_source(project, not_hdf5)
    assert (project.frame_count(), project.instance_count(), len(project.sources())) == before
    project.close()


# ------------------------------------------------------------------ skeleton names
def test_a_name_sleap_made_up_gives_way_to_the_files(fly):
    """The fly file's skeleton is "Skeleton-count(0)" (older SLEAP printed its name counter, not the
    count): it comes in as the file's skeleton, goes out under that name, and comes back under it."""
    first, out, again = fly
    assert sio.load_slp(str(FLY), open_videos=False).skeletons[0].name == "Skeleton-count(0)"
    name = "custom:centered_pair_predictions skeleton:24"
    assert first.skeleton_names() == [name] and skeleton_title(name) == "centered_pair_predictions skeleton (24 joints)"
    assert [c["name"] for c, _ in first.categories()] == ["centered_pair_predictions skeleton"]
    exported = sio.load_slp(str(out), open_videos=False)
    assert [sk.name for sk in exported.skeletons] == ["centered_pair_predictions skeleton"]
    assert again.skeleton_names() == [name]  # imported from fly.slp: the name in the file, not fly.slp's
    assert {i.skeleton for i in again.iter_instances()} == {name}


def test_automatic_and_given_skeleton_names():
    for made_up in ("Skeleton-0", "Skeleton-12", "Skeleton-count(0)", "Skeleton", "", None):
        assert sleap.is_automatic_name(made_up), made_up
    for given in ("fly", "Skeleton-fly", "mouse skeleton", "centered_pair_predictions skeleton", "coco17"):
        assert not sleap.is_automatic_name(given), given
    assert sleap.file_label(Path("dance.mp4.labels.slp")) == "dance"
    assert sleap.file_label(Path("flies.pkg.slp")) == "flies"
    assert sleap.file_label(Path("centered_pair_predictions.slp")) == "centered_pair_predictions"
    assert sleap.file_label(Path("session.2024.slp")) == "session.2024"


def test_a_users_skeleton_name_is_kept_and_made_up_names_stay_apart(tmp_path):
    labels = sio.load_slp(str(_need(MINIMAL)), open_videos=False)
    shutil.copy(MINIMAL.parent / "centered_pair_low_quality.mp4", tmp_path / "centered_pair_low_quality.mp4")
    labels.skeletons[0].name = "mouse"
    named = tmp_path / "named.slp"
    labels.save(str(named), verbose=False)
    assert read_source(named).categories[0][1].name == "custom:mouse:2"
    # two skeletons SLEAP named by itself: each its own name
    labels.skeletons[0].name = "Skeleton-0"
    other = sio.Skeleton(nodes=["C", "D"], edges=[("C", "D")], name="Skeleton-1")
    labels.skeletons.append(other)
    lf = labels.labeled_frames[0]
    lf.instances.append(sio.Instance.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]), skeleton=other))
    two = tmp_path / "two.slp"
    labels.save(str(two), verbose=False)
    names = [sk.name for _, sk in read_source(two).categories]
    assert names == ["custom:two skeleton 1:2", "custom:two skeleton 2:2"]


# ------------------------------------------------------------------ still images (COCO) as SLEAP image sequences
@pytest.mark.parametrize("coco", [COCO_SAMPLE, COCO_TRAIN], ids=["coco_sample", "coco_mini_train"])
def test_still_images_go_out_as_image_sequences_sleap_reads_back(tmp_path, coco):
    """COCO photos -> .slp: sleap-io reads image-sequence videos of the photos (it could not: a list
    of file names was written as the video's one file name), and an import gives back every point."""
    first = Project.open(tmp_path / "coco.poseapp", create=True)
    import_source(first, _need(coco))
    out = tmp_path / "coco.slp"
    export_project(first, "slp", out)

    labels = sio.load_slp(str(out), open_videos=False)  # what failed: "expected str, ... not list"
    frames = {first.frame_path(first.frame(f)): first.frame(f) for f in first.frame_ids()}
    for video in labels.videos:
        assert isinstance(video.filename, list) and video.backend_metadata["filenames"] == video.filename
        n, height, width, _ = video.backend_metadata["shape"]
        assert n == len(video.filename)
        assert all((frames[f].height, frames[f].width) == (height, width) for f in video.filename)  # one size per video
    assert sorted(f for v in labels.videos for f in v.filename) == sorted(frames)  # every photo, once
    seen = 0
    for lf in labels.labeled_frames:  # sleap-io's points: exactly the project's, a missing point NaN
        frame = frames[lf.video.filename[lf.frame_idx]]
        people = first.instances(frame.id)
        assert len(lf.instances) == len(people)
        for inst, person in zip(lf.instances, people):
            assert type(inst).__name__ == "Instance" and inst.skeleton.node_names == list(PRESETS["coco17"].joints)
            kps, pts = person.keypoints, inst.numpy()
            labelled = kps[:, 2] > 0
            assert np.array_equal(pts[labelled], kps[labelled, :2]) and np.all(np.isnan(pts[~labelled]))
            seen += 1
    assert seen == first.instance_count()
    opened = sio.load_slp(str(out))  # and SLEAP's way, the images opened: each frame the photo's size
    lf = opened.labeled_frames[0]
    frame = frames[lf.video.filename[lf.frame_idx]]
    assert type(lf.video.backend).__name__ == "ImageVideo" and lf.image.shape[:2] == (frame.height, frame.width)

    again = Project.open(tmp_path / "again.poseapp", create=True)
    import_source(again, out)
    by_name = {again.frame(f).file_name: again.frame(f) for f in again.frame_ids()}
    labelled_frames = [first.frame(f) for f in first.frame_ids() if first.instances(f)]
    assert sorted(by_name) == sorted(f.file_name for f in labelled_frames)  # the photos' names, as imported
    for frame in labelled_frames:
        back = by_name[frame.file_name]
        assert (back.width, back.height) == (frame.width, frame.height)
        assert Path(again.frame_path(back)).resolve() == Path(first.frame_path(frame)).resolve()  # (a data folder reached by a link)
        people, returned = first.instances(frame.id), again.instances(back.id)
        assert len(people) == len(returned)
        for a, b in zip(people, returned):
            assert a.skeleton == b.skeleton == "coco17"  # the preset, not a custom copy of it
            labelled = a.keypoints[:, 2] > 0
            assert np.array_equal(b.keypoints[labelled, :2], a.keypoints[labelled, :2])  # every point exactly
            assert np.all(b.keypoints[labelled, 2] == 2)  # COCO's occluded (1) is a visible point in SLEAP
            assert np.all(b.keypoints[~labelled] == 0)  # a missing point stays missing
            assert b.origin == "manual"
    assert again.skeleton(again.skeleton_names()[0]) == PRESETS["coco17"]
    assert [c["name"] for c, _ in again.categories()] == ["person"]
    # and out again: the same SLEAP points for each photo (of the photos with people: those came in)
    out2 = tmp_path / "again.slp"
    export_project(again, "slp", out2)
    relabelled = sio.load_slp(str(out2), open_videos=False)
    assert _points_by_photo(relabelled).keys() == _points_by_photo(labels).keys()
    for photo, points in _points_by_photo(labels).items():
        back = _points_by_photo(relabelled)[photo]
        assert len(back) == len(points) and all(np.array_equal(p, q, equal_nan=True) for p, q in zip(points, back))
    assert [(sk.name, sk.node_names, sk.edge_inds, sorted(sk.symmetry_inds)) for sk in labels.skeletons] == [
        (sk.name, sk.node_names, sk.edge_inds, sorted(sk.symmetry_inds)) for sk in relabelled.skeletons]
    first.close()
    again.close()


def _points_by_photo(labels):
    # by the photo's real path: a data folder reached through a link is the same folder
    return {str(Path(lf.video.filename[lf.frame_idx]).resolve()): [inst.numpy() for inst in lf.instances]
            for lf in labels.labeled_frames}


def test_a_videos_own_track_ids_do_not_take_over_another_files_tracks(tmp_path):
    """poseapp numbers a video's walkers itself (#1, #2 ...); a SLEAP file's tracks keep their names.
    With the dancer's video given track #1 by a model run and the flies' file imported beside it, the
    export has the flies' tracks as they were and the dancer's #1 as a track of its own (it used to
    merge with the fly track that had id 1, and the fly's instances came back in track "1")."""
    from poseapp.store import Instance

    project = Project.open(tmp_path / "both.poseapp", create=True)
    import_source(project, _need(DANCE))
    dancer = next(i for i in project.iter_instances() if i.origin == "predicted")
    project.add_instance(Instance(dancer.frame_id, dancer.skeleton, dancer.keypoints, origin="predicted", model_id="run",
                                  score=0.9, extra={"track_id": 1}))
    import_source(project, _need(FLY))
    out = tmp_path / "both.slp"
    export_project(project, "slp", out)
    labels = sio.load_slp(str(out), open_videos=False)
    flies = sio.load_slp(str(FLY), open_videos=False)
    names = [t.name for t in labels.tracks]
    assert len(names) == len(set(names)) == len(flies.tracks) + 1
    # the flies' tracks in their order, and the dancer's #1 (a name the flies' file has) told apart by its video
    assert [n for n in names if n != "1 (dance)"] == [t.name for t in flies.tracks] and "1 (dance)" in names
    fly_video = next(v for v in labels.videos if "centered_pair" in v.filename)
    fly_tracks = {inst.track.name for lf in labels.labeled_frames if lf.video is fly_video for inst in lf.instances if inst.track}
    assert fly_tracks <= {t.name for t in flies.tracks}
    project.close()


def test_an_occluded_flag_is_said_when_sleap_cannot_keep_it(tmp_path):
    """SLEAP has no occluded flag: a user joint flagged occluded goes out as a visible point. The
    export said nothing of it (a window walk); its counts now name how many."""
    project = Project.open(tmp_path / "m.poseapp", create=True)
    import_source(project, _need(MINIMAL))
    inst = next(i for i in project.iter_instances() if i.origin == "manual" and (i.keypoints[:, 2] == 2).any())
    kps = inst.keypoints.copy()
    kps[int(np.flatnonzero(kps[:, 2] == 2)[0]), 2] = 1
    project.update_instance(inst.id, keypoints=kps)
    counts = export_project(project, "slp", tmp_path / "m.slp")
    assert counts["occluded joints written as visible (SLEAP has no occluded flag)"] == 1
    project.update_instance(inst.id, keypoints=inst.keypoints)  # flagged visible again: nothing to say
    assert not any(k.startswith("occluded") for k in export_project(project, "slp", tmp_path / "again.slp"))
    project.close()


def test_track_ids_follow_the_numbers_in_the_track_names_when_they_can():
    from poseapp.formats.sleap import track_ids

    named = [sio.Track(name=n) for n in ("1", "2", "10")]
    assert list(track_ids(named).values()) == [1, 2, 10]
    assert list(track_ids([sio.Track(name=n) for n in ("track_0", "track_1")]).values()) == [0, 1]
    # names that say no number, or the same one twice: the place in the file's list
    assert list(track_ids([sio.Track(name=n) for n in ("male", "female")]).values()) == [0, 1]
    assert list(track_ids([sio.Track(name=n) for n in ("a1", "b1")]).values()) == [0, 1]


def test_the_import_summary_counts_the_video_frames_that_come_along(tmp_path):
    """minimal_instance.slp labels 1 frame of a 1,100-frame video; the project gets every frame (to
    browse), which the summary said nothing of."""
    with Project.open(tmp_path / "m.poseapp", create=True) as project:
        said = str(import_source(project, _need(MINIMAL)))
        assert "1 image (1 new frame), 2 person instances; with the rest of the video, 1099 more frames to browse" in said
        assert project.frame_count() == 1100
