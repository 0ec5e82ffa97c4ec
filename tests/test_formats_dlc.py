"""DeepLabCut projects in and out (issue #26 item 4), on DeepLabCut's example and SLEAP's DLC fixtures.

Round trips are exact: the exported CollectedData CSV and H5 read by pandas (as DeepLabCut reads
them) equal the original table, every point, every empty cell, scorer, individuals and body
parts; import -> export -> import gives the same records; a COCO export holds every point as
sleap-io's DeepLabCut reader sees it.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("tables")

from poseapp.core.errors import DataError  # noqa: E402
from poseapp.formats import detect_format, export_project, import_source, read_source  # noqa: E402
from poseapp.store import Project  # noqa: E402

DLC = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dlc"
REACHING = DLC / "Reaching-Mackenzie-2018-08-30"
REACHING_CSV = REACHING / "labeled-data" / "reachingvideo1" / "CollectedData_Mackenzie.csv"
FIXTURES = DLC / "sleap_tests_dlc"
FIXTURE_CSVS = ["dlc_testdata.csv", "dlc_testdata_v2.csv", "madlc_testdata.csv", "madlc_testdata_v2.csv",
                "maudlc_testdata.csv", "maudlc_testdata_v2.csv", "CollectedData_LM.csv"]


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not there (see ../shared/data/README.md)")
    return path


def _table(path: Path) -> "pd.DataFrame":
    """A CollectedData file as DeepLabCut reads it: the H5 by pandas, the CSV by its header rows."""
    if path.suffix == ".h5":
        df = pd.read_hdf(path)
    else:
        head = path.read_text().splitlines()
        levels = 4 if head[1].startswith("individuals") else 3
        index_cols = 3 if head[0].startswith("scorer,,") else 1
        # the scorer row is read on its own: a hand-made file's may be shorter than the others
        scorer = head[0].split(",")[index_cols]
        df = pd.read_csv(path, header=list(range(1, levels)), index_col=list(range(index_cols)))
        names = ["scorer"] + list(df.columns.names)
        df.columns = pd.MultiIndex.from_tuples([(scorer,) + tuple(c) for c in df.columns], names=names)
    if df.index.nlevels == 3:  # DeepLabCut's newer rows: labeled-data, video, image
        df.index = ["/".join(map(str, idx)) for idx in df.index]
    df.index = [str(i).replace("\\", "/") for i in df.index]
    return df.astype(float)


def _assert_same_table(a: "pd.DataFrame", b: "pd.DataFrame") -> None:
    """Same columns (scorer, individuals, bodyparts, coords), rows, values; an empty cell stays empty."""
    assert list(a.columns) == list(b.columns)
    assert list(a.columns.names) == list(b.columns.names)
    assert list(a.index) == list(b.index)
    assert np.array_equal(np.isnan(a.to_numpy()), np.isnan(b.to_numpy()))
    assert np.allclose(np.nan_to_num(a.to_numpy()), np.nan_to_num(b.to_numpy()), atol=1e-6, rtol=0)


def _records(project):
    out = []
    for frame_id in project.frame_ids():
        frame = project.frame(frame_id)
        for inst in project.instances(frame_id):
            out.append((frame.file_name, inst.skeleton, inst.origin, inst.keypoints.tolist(), dict(inst.extra)))
    return out


def _roundtrip(tmp_path: Path, source: Path, name: str):
    first = Project.open(tmp_path / f"{name}.poseapp", create=True)
    import_source(first, source)
    out = tmp_path / f"{name}-dlc"
    export_project(first, "dlc", out)
    return first, out


@pytest.fixture(scope="module")
def reaching(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reaching")
    first, out = _roundtrip(tmp, _need(REACHING / "config.yaml"), "reaching")
    yield first, out
    first.close()


def test_detected(tmp_path):
    assert detect_format(_need(REACHING)) == "dlc"
    assert detect_format(REACHING / "config.yaml") == "dlc"
    assert detect_format(REACHING_CSV) == "dlc"
    assert detect_format(REACHING_CSV.with_suffix(".h5")) == "dlc"
    assert detect_format(_need(FIXTURES / "madlc_230_config.yaml")) == "dlc"
    other = tmp_path / "data.yaml"
    other.write_text("kpt_shape: [17, 3]\nnames: {0: person}\n")
    assert detect_format(other) == "yolo"  # YOLO's yaml is still YOLO's


def test_reaching_round_trip_exact(reaching, tmp_path):
    first, out = reaching
    folder = out / "labeled-data" / "reachingvideo1"
    original = _table(REACHING_CSV)
    _assert_same_table(original, _table(folder / "CollectedData_Mackenzie.csv"))
    _assert_same_table(original, _table(folder / "CollectedData_Mackenzie.h5"))
    _assert_same_table(_table(REACHING_CSV.with_suffix(".h5")), _table(folder / "CollectedData_Mackenzie.h5"))
    assert len(list(folder.glob("*.png"))) == 55
    again = Project.open(tmp_path / "again.poseapp", create=True)
    import_source(again, out)
    assert _records(first) == _records(again)
    skeleton = again.skeleton(next(again.iter_instances()).skeleton)
    assert skeleton.joints == ("Hand", "Finger1", "Tongue", "Joystick1", "Joystick2")
    assert skeleton.edges == ((0, 1), (3, 4))  # config.yaml's skeleton
    again.close()


def test_exported_config_is_deeplabcuts(reaching):
    import yaml

    _, out = reaching
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["scorer"] == "Mackenzie" and cfg["bodyparts"] == ["Hand", "Finger1", "Tongue", "Joystick1", "Joystick2"]
    assert cfg["skeleton"] == [["Hand", "Finger1"], ["Joystick1", "Joystick2"]]
    assert [Path(v).stem for v in cfg["video_sets"]] == ["reachingvideo1"]
    # every other setting as the user's config had it (an export reset pcutoff, batch_size, colours
    # and the date to defaults; a window walk found it)
    original = yaml.safe_load((REACHING / "config.yaml").read_text())
    for key in ("pcutoff", "batch_size", "numframes2pick", "skeleton_color", "colormap", "date", "dotsize", "TrainingFraction"):
        if key in original:
            assert cfg[key] == (original[key] if not hasattr(original[key], "isoformat") else str(original[key])), key
    assert (original["pcutoff"], original["colormap"]) == (cfg["pcutoff"], cfg["colormap"]) and original["pcutoff"] != 0.6


def test_reaching_coco_export_is_what_sleap_reads(reaching, tmp_path):
    sio = pytest.importorskip("sleap_io")
    first, _ = reaching
    out = tmp_path / "coco.json"
    export_project(first, "coco", out)
    doc = json.loads(out.read_text())
    names = {im["id"]: im["file_name"] for im in doc["images"]}
    coco = {names[a["image_id"]]: np.array(a["keypoints"], float).reshape(-1, 3) for a in doc["annotations"]}
    joints = doc["categories"][0]["keypoints"]
    labels = sio.load_dlc(str(REACHING_CSV))
    assert len(labels.labeled_frames) == 55
    for lf in labels.labeled_frames:
        name = "labeled-data/reachingvideo1/" + Path(lf.video.filename[lf.frame_idx]).name
        inst = lf.instances[0]  # sleap-io orders the body parts its own way: matched by name
        pts = inst.numpy()[[inst.skeleton.node_names.index(j) for j in joints]]
        known = np.all(np.isfinite(pts), axis=1)
        assert np.array_equal(coco[name][known, :2], pts[known]) and np.all(coco[name][known, 2] == 2)
        assert np.all(coco[name][~known] == 0)


@pytest.mark.parametrize("name", FIXTURE_CSVS)
def test_fixture_tables_round_trip(tmp_path, name):
    source = _need(FIXTURES / "labeled-data" / "video" / name)
    first, out = _roundtrip(tmp_path, source, "fx")
    exported = next((out / "labeled-data" / "video").glob("CollectedData_*.csv"))
    assert exported.name == "CollectedData_Scorer.csv" if name != "CollectedData_LM.csv" else True
    original = _table(source)
    _assert_same_table(original, _table(exported))
    _assert_same_table(original, _table(exported.with_suffix(".h5")))
    # the row layout is kept: one path column or DeepLabCut's three
    assert exported.read_text().startswith("scorer,,,") == source.read_text().startswith("scorer,,,")
    again = Project.open(tmp_path / "again.poseapp", create=True)
    import_source(again, exported)
    assert _records(first) == _records(again)
    first.close()
    again.close()


def test_multi_animal_individuals_and_unique_parts():
    batch = read_source(_need(FIXTURES / "madlc_230_config.yaml"))
    first = batch.images[0]
    assert [i.extra for i in first.instances] == [{"track_id": 0, "track_name": "Animal1"},
                                                  {"track_id": 1, "track_name": "Animal2"}]
    second = batch.images[1]
    unique = [i for i in second.instances if i.extra.get("dlc_individual") == "single"]
    assert len(unique) == 1 and unique[0].skeleton.joints == ("D", "E")
    assert unique[0].keypoints.tolist() == [[22, 23, 2], [24, 25, 2]]
    animal2 = [i for i in second.instances if i.extra.get("track_name") == "Animal2"][0]
    assert animal2.keypoints.tolist() == [[17, 18, 2], [0, 0, 0], [20, 21, 2]]  # B is missing: stays missing
    assert batch.images[2].instances == []  # img002: nobody labelled, the row stays
    skeleton = first.instances[0].skeleton
    assert skeleton.name == "custom:maudlc_2.3.0:3" and skeleton.edges == ((0, 1), (1, 2), (0, 2))


def test_wrong_header_is_refused_and_changes_nothing(tmp_path, project):
    import_source(project, _need(REACHING_CSV))
    before = (project.frame_count(), project.instance_count(), len(project.sources()))
    root = tmp_path / "proj"
    shutil.copytree(REACHING, root)
    bad = root / "labeled-data" / "reachingvideo1" / "CollectedData_Mackenzie.csv"
    lines = bad.read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[2], lines[1]] + lines[3:]) + "\n")  # coords before bodyparts
    with pytest.raises(DataError) as info:
        import_source(project, bad)
    assert str(bad) in str(info.value) and "wrong header" in str(info.value)
    lines[3] = lines[3] + ",oops"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="row 4"):
        import_source(project, bad)
    cut = bad.with_suffix(".h5")
    cut.write_bytes(cut.read_bytes()[:3000])
    with pytest.raises(DataError) as info:
        import_source(project, cut)
    assert str(cut) in str(info.value)
    assert (project.frame_count(), project.instance_count(), len(project.sources())) == before
