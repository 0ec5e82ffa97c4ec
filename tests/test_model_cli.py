"""poseapp predict / eval end to end through the CLI, on a small model folder made here."""

import json
import os

import pytest

from poseapp.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from conftest import make_model_folder

    return make_model_folder(tmp_path_factory.mktemp("m") / "rec-lite")


def test_predict_on_video_with_the_detector_writes_coco_results(model_dir, video_path, tmp_path, capsys):
    out = tmp_path / "results.json"
    render = tmp_path / "frames"
    code = main(["predict", "--model", str(model_dir), "--input", str(video_path), "--out", str(out),
                 "--max-frames", "3", "--every", "10", "--iterations", "1", "--render", str(render)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["frames"] == 3 and summary["people"] >= 3
    results = json.loads(out.read_text())
    assert {r["frame"] for r in results} <= {0, 10, 20}
    assert all(len(r["keypoints"]) == 42 and 0 <= r["score"] for r in results)
    assert sorted(p.name for p in render.iterdir()) == ["vtest_000000.png", "vtest_000010.png", "vtest_000020.png"]


def test_predict_whole_image_boxes_on_a_folder(model_dir, small_lsp, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(model_dir), "--input", str(small_lsp / "images"), "--out", str(out), "--boxes", "whole"]) == 0
    results = json.loads(out.read_text())
    assert [r["file_name"] for r in results] == ["im0001.jpg", "im0002.jpg", "im0003.jpg", "im0004.jpg", "im0005.jpg", "im0998.jpg"]


def test_predict_averages_the_mirrored_crop_by_default_as_the_window_does(model_dir, small_lsp, tmp_path, capsys):
    """The window's flip test is on by default; predict gives the same poses unless told
    --no-flip-test, and says which it did."""
    import numpy as np

    from poseapp.engine.predictor import Predictor
    from poseapp.media.images import read_image

    runs = {}
    for flag in ([], ["--no-flip-test"]):
        out = tmp_path / f"r{len(flag)}.json"
        assert main(["predict", "--model", str(model_dir), "--input", str(small_lsp / "images" / "im0002.jpg"),
                     "--out", str(out), "--boxes", "whole", *flag]) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        runs[summary["flip_test"]] = np.array(json.loads(out.read_text())[0]["keypoints"]).reshape(-1, 3)[:, :2]
    assert set(runs) == {True, False}
    assert not np.allclose(runs[True], runs[False])
    image = read_image(small_lsp / "images" / "im0002.jpg")
    window = Predictor.from_path(model_dir, device="cpu", flip_test=True).predict(image, [(0.0, 0.0, image.shape[1], image.shape[0])])
    np.testing.assert_allclose(runs[True], window[0].keypoints[:, :2], atol=0.01)


def test_eval_writes_the_documented_keys(model_dir, lsp_dir, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "12",
                 "--out", str(out), "--iterations", "2"]) == 0
    m = json.loads(out.read_text())
    assert set(m["pck@0.2"]) == {"head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "total"}
    assert [s["stage"] for s in m["per_iteration"]] == ["feed-forward", "iteration 1", "iteration 2"]
    assert m["n_images"] == 12 and "visibility_ap" in m and "pckh@0.5" in m and "pcp" in m and "auc" in m
    assert "PCK@0.2" in capsys.readouterr().out


def test_unknown_model_and_default_without_shipped_model_are_clear(tmp_path, capsys, monkeypatch):
    import poseapp.engine.zoo as zoo

    monkeypatch.setattr(zoo, "SHIPPED", tmp_path / "no-models")
    assert main(["predict", "--model", "default", "--input", str(tmp_path), "--out", str(tmp_path / "x.json")]) == 1
    assert "no default model" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "nothing"), "--input", str(tmp_path), "--out", str(tmp_path / "x.json")]) == 1
    assert "no model here" in capsys.readouterr().err


def test_eval_simulate_annotator_adds_the_documented_keys(model_dir, lsp_dir, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "4",
                 "--out", str(out), "--simulate-annotator"]) == 0
    m = json.loads(out.read_text())
    ann = m["annotator"]
    assert set(ann["corrections_per_person"]) == {"without_refinement", "with_refinement"}
    assert ann["corrections_per_person"]["without_refinement"] == pytest.approx(14 * (1 - m["pck@0.2"]["total"] / 100))
    assert ann["people"] == 4 and sum(ann["distribution"]["with_refinement"].values()) == 4
    assert "regressions_per_person" in ann and "annotator:" in capsys.readouterr().out


def test_predict_warns_when_people_are_far_smaller_than_the_model_input(tmp_path, lsp_dir, capsys):
    """#11 item 12 on the command line: a 34 x 40 picture gives a pose, and a warning that it is a guess."""
    import cv2

    from poseapp.cli import main

    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(cv2.imread(str(lsp_dir / "images" / "im0801.jpg")), (34, 40)))
    assert main(["predict", "--input", str(small), "--boxes", "whole", "--out", str(tmp_path / "r.json")]) == 0
    err = capsys.readouterr().err
    assert "1 of 1 people were too small for the model" in err and "it looks at 128 px" in err
    big = lsp_dir / "images" / "im0801.jpg"
    assert main(["predict", "--input", str(big), "--boxes", "whole", "--out", str(tmp_path / "r2.json")]) == 0
    assert "too small" not in capsys.readouterr().err


def test_predict_and_eval_refuse_an_out_that_is_a_project_or_its_working_file_before_working(model_dir, small_lsp, lsp_dir, tmp_path, capsys):
    """--out used to replace a project file (or write JSON into its -wal) after the whole run."""
    from poseapp.store import Project

    project = tmp_path / "p.poseapp"
    Project.open(project, create=True).close()
    before = project.read_bytes()
    image = str(small_lsp / "images" / "im0001.jpg")
    for out in (project, tmp_path / "p.poseapp-wal", tmp_path / "nosuchdir" / "r.json"):
        assert main(["predict", "--model", str(model_dir), "--input", image, "--out", str(out)]) != 0
        assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--limit", "2", "--out", str(out)]) != 0
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(out.name) in err
    assert project.read_bytes() == before and not (tmp_path / "p.poseapp-wal").exists() and not (tmp_path / "nosuchdir").exists()


def test_eval_json_and_header_say_flip_test_and_limit(model_dir, lsp_dir, tmp_path, capsys):
    out = tmp_path / "m.json"
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "3",
                 "--out", str(out)]) == 0  # flip test is the default, as in predict and the window
    m = json.loads(out.read_text())
    assert m["flip_test"] is True and m["limit"] == 3
    assert "flip test, first 3 people only" in capsys.readouterr().out
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "3",
                 "--no-flip-test", "--out", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["flip_test"] is False
    assert "flip test" not in capsys.readouterr().out
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "3", "--update-card"]) == 2


def test_predict_says_when_the_detector_found_nobody_and_the_whole_image_was_taken(model_dir, tmp_path, capsys):
    import numpy as np

    from poseapp.media.images import write_image

    blank = tmp_path / "grey.png"
    write_image(blank, np.full((200, 150, 3), 128, np.uint8))  # nobody for HOG to find
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(model_dir), "--input", str(blank), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["whole_image_fallbacks"] == 1
    assert "detector found nobody" in captured.err and len(json.loads(out.read_text())) == 1


def test_predict_and_eval_keep_an_existing_out_file_unless_forced(model_dir, small_lsp, lsp_dir, tmp_path, capsys):
    out = tmp_path / "mine.json"
    out.write_text("keep me")
    image = str(next((small_lsp / "images").iterdir()))
    assert main(["predict", "--model", str(model_dir), "--input", image, "--boxes", "whole", "--out", str(out)]) == 1
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--limit", "2", "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["predict", "--model", str(model_dir), "--input", image, "--boxes", "whole", "--out", str(out), "--force"]) == 0
    assert isinstance(json.loads(out.read_text()), list)


def test_eval_on_all_says_how_many_people_are_not_held_out(model_dir, lsp_dir, tmp_path, capsys):
    out = tmp_path / "m.json"
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--limit", "3", "--out", str(out)]) == 0
    m = json.loads(out.read_text())
    assert m["n_people"] == 3 and m["held_out_people"] == 0  # the first three, im0001-im0003, are training images
    assert "3 of these 3 people are not in the held-out" in capsys.readouterr().err
    assert main(["eval", "--model", str(model_dir), "--data", f"lsp:{lsp_dir}", "--split", "val", "--limit", "3",
                 "--out", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["held_out_people"] == 3 and "not in the held-out" not in capsys.readouterr().err


def test_train_refuses_an_out_folder_holding_a_model_or_other_files(model_dir, lsp_dir, tmp_path, capsys):
    """`train --out models/recurrent-lite` would overwrite a shipped model's weights and card."""
    before = {p.name: p.read_bytes() for p in model_dir.iterdir() if p.is_file()}
    args = ["train", "--model", "recurrent-lite", "--data", f"lsp:{lsp_dir}", "--max-steps", "1", "--amp", "off"]
    assert main(args + ["--out", str(model_dir)]) == 1
    err = capsys.readouterr().err
    assert str(model_dir) in err and "holds a model but no training run" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in model_dir.iterdir() if p.is_file()} == before
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"x")
    assert main(args + ["--out", str(other)]) == 1
    assert "holds files" in capsys.readouterr().err and sorted(os.listdir(other)) == ["holiday.jpg"]



def test_ctrl_c_on_predict_keeps_the_frames_finished(model_dir, video_path, tmp_path):
    """A real SIGINT to the real command, part way through a video: the frames done are written."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "partial.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "poseapp", "predict", "--model", str(model_dir), "--input", str(video_path),
         "--boxes", "whole", "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        # a suite started in the background (`make test &`) ignores SIGINT, and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()  # the progress line written after the first 10% of the frames
        assert "frames" in first or "/s" in first, first
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    results = json.loads(out.read_text())
    assert summary["interrupted"] is True and 0 < summary["frames"] < 795
    assert len({r["frame"] for r in results}) == summary["frames"] and "Traceback" not in stderr
    assert f"holds the {summary['frames']} frames finished" in stderr


def test_eval_of_an_lsp_model_on_coco_people_prints_no_pckh_and_aligned_columns(capsys, data_dir):
    """COCO labels no neck or head top, so there is no head segment: no PCKh (it printed 0.0), and
    the header's columns stand over the numbers (they were one column off)."""
    from poseapp.cli import main

    assert main(["eval", "--data", f"coco:{data_dir / 'coco_sample' / 'test_coco.json'}", "--no-flip-test"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = next(line for line in out if line.startswith("PCK@0.2 ") and "total" in line)
    row = next(line for line in out if line.startswith("iteration 2"))
    assert len(header) == len(row) and header.index("total") + len("total") == len(header)
    assert not any("PCKh" in line for line in out)


def test_cli_names_an_unknown_data_kind_and_a_render_file_for_what_they_are(tmp_path, capsys, data_dir):
    from poseapp.cli import main

    assert main(["eval", "--data", "foo:bar"]) != 0
    err = capsys.readouterr().err
    assert "unknown kind of data 'foo' before ':' (known: coco," in err and "Traceback" not in err
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main(["predict", "--input", str(data_dir / "coco_sample" / "000000000785.jpg"), "--render", str(taken),
                 "--out", str(tmp_path / "r.json")]) != 0
    err = capsys.readouterr().err
    assert f"{taken}: --render takes a folder for the drawn pictures, and this is a file" in err
    assert taken.read_text() == "mine" and not (tmp_path / "r.json").exists()
