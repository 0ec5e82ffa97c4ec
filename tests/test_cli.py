"""The poseapp command: import, export, info, through main() and through the installed script."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poseapp.cli import main


def test_import_export_info(tmp_path, coco_json, small_lsp, capsys):
    project = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(project)]) == 0
    assert main(["import", str(small_lsp), "--project", str(project), "--format", "lsp"]) == 0
    assert "imported" in capsys.readouterr().out
    out = tmp_path / "all.json"
    assert main(["export", str(project), "--format", "coco", "--out", str(out)]) == 0
    assert "10 images, 20 annotations" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert len(doc["images"]) == 10 and len(doc["annotations"]) == 20
    assert len({im["id"] for im in doc["images"]}) == 10
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["frames"] == 10 and info["instances"]["manual"] == 20
    assert main(["info", str(small_lsp)]) == 0
    assert "occluded" in capsys.readouterr().out


def test_failed_import_leaves_no_new_project_and_says_why(tmp_path, coco_json, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [')
    project = tmp_path / "new.poseapp"
    assert main(["import", str(bad), "--project", str(project)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "truncated" in err
    assert not project.exists()


def test_failed_import_keeps_an_existing_project(tmp_path, coco_json, capsys):
    project = tmp_path / "p.poseapp"
    main(["import", str(coco_json), "--project", str(project)])
    before = json.loads(_info(project, capsys))
    folder = tmp_path / "c"
    shutil.copytree(coco_json.parent, folder)
    (folder / "000000000785.jpg").unlink()
    assert main(["import", str(folder / "test_coco.json"), "--project", str(project)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert json.loads(_info(project, capsys)) == before


def _info(project, capsys):
    capsys.readouterr()
    main(["info", str(project), "--json"])
    return capsys.readouterr().out


def test_installed_entry_point_runs(tmp_path, coco_json):
    exe = shutil.which("poseapp", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the poseapp console script is not installed next to this Python"
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("poseapp ")
    done = subprocess.run([exe, "info", str(coco_json)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "format: coco" in done.stdout and "instances: 14" in done.stdout


def test_predict_shows_a_progress_bar_on_stderr(tmp_path):
    import subprocess
    import sys

    video = Path(__file__).resolve().parent.parent / "resources" / "demo" / "pedestrians.mp4"
    out = subprocess.run([sys.executable, "-m", "poseapp", "predict", "--input", str(video), "--out", str(tmp_path / "r.json"),
                          "--max-frames", "4", "--boxes", "whole"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("[") and "1/4 frames" in lines[0] and "frames/s" in lines[0] and "left" in lines[0]
    assert "4/4 frames" in lines[-1] and "left" not in lines[-1]
    assert json.loads(out.stdout)["frames"] == 4  # stdout keeps only the summary


def test_help_texts_give_the_defaults(capsys):
    for command, expected in (("predict", "(default: detector)"), ("finetune", "(default: enough for at least 150 training steps, from 10 to 30 epochs)"), ("eval", "(default: all)")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert expected in " ".join(capsys.readouterr().out.split()), command


def test_info_on_a_damaged_project_says_it_cannot_be_read(tmp_path, coco_json, capsys):
    """`info` on a truncated .poseapp says what `export` and the window say (it called the file
    'neither a poseapp project, a dataset ...')."""
    from poseapp.cli import main

    project = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(project)]) == 0
    damaged = tmp_path / "damaged.poseapp"
    damaged.write_bytes(project.read_bytes()[:20000])
    capsys.readouterr()
    assert main(["info", str(damaged)]) != 0
    err = capsys.readouterr().err
    assert f"{damaged}: the project file cannot be read" in err and "Traceback" not in err
