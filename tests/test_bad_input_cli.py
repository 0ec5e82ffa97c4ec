"""Every subcommand, fed malformed input of every kind: a non-zero exit, a message naming the file
(or the argument) and the problem, never a traceback nor an 'internal error', and the project's
logical content unchanged (issue #10, 'Every bad input gets a clear error')."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
from pathlib import Path
from typing import Callable

import pytest
from safetensors.torch import load_file, save_file

from poseapp.cli import main
from poseapp.store import Project
from conftest import make_model_folder


@pytest.fixture(scope="module")
def world(tmp_path_factory, coco_json_module, lsp_dir_module):
    """A project with real data in it, a real (untrained) model folder, and a place for bad files."""
    root = tmp_path_factory.mktemp("bad")
    coco = root / "coco"
    shutil.copytree(coco_json_module.parent, coco)
    project = root / "p.poseapp"
    assert main(["import", str(coco / "test_coco.json"), "--project", str(project)]) == 0
    model = make_model_folder(root / "model")
    return {"root": root, "coco": coco / "test_coco.json", "project": project, "model": model, "lsp": lsp_dir_module}


@pytest.fixture(scope="module")
def coco_json_module(data_dir):
    return data_dir / "coco_sample" / "test_coco.json"


@pytest.fixture(scope="module")
def lsp_dir_module(data_dir):
    return data_dir / "lsp_train"


def _content(project: Path) -> tuple:
    with Project.open(project, read_only=True) as p:
        instances = [(i.id, i.frame_id, i.keypoints.tolist(), i.bbox, i.origin) for i in p.iter_instances()]
        return (p.stats(), instances, [(s.id, s.path) for s in p.sources()])


def _coco_variant(world, name: str, change: Callable[[dict], None]) -> Path:
    data = json.loads(world["coco"].read_text())
    change(data)
    path = world["coco"].parent / name
    path.write_text(json.dumps(data))
    return path


def _first_image(data: dict) -> dict:
    return data["images"][0]


# Each case: (id, builds the argv from the world and returns (argv, the name the message must contain)).
def _huge_id(world):
    path = _coco_variant(world, "huge_id.json", lambda d: d["annotations"][0].update(id=2**70))
    return ["import", str(path), "--project", str(world["project"])], path.name


def _deep_json(world):
    path = world["root"] / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    return ["import", str(path), "--project", str(world["project"]), "--format", "coco"], path.name


def _huge_bbox(world):
    path = _coco_variant(world, "huge_bbox.json", lambda d: d["annotations"][0].update(bbox=[0, 0, 1e200, 1e200]))
    return ["import", str(path), "--project", str(world["project"])], path.name


def _four_byte_jpeg(world):
    folder = world["root"] / "four_bytes"
    folder.mkdir(exist_ok=True)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    return ["import", str(folder / "broken.jpg"), "--project", str(world["project"])], "broken.jpg"


def _header_only_image(world):
    folder = world["root"] / "header_only"
    folder.mkdir(exist_ok=True)
    # A PNG signature and an IHDR chunk claiming 20000 x 20000 pixels, and no pixel data at all.
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    import zlib

    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    (folder / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk)
    return ["import", str(folder / "huge.png"), "--project", str(world["project"])], "huge.png"


def _yaml_names_string(world):
    folder = world["root"] / "yolo_names"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(exist_ok=True)
    shutil.copy(world["lsp"] / "images" / "im0001.jpg", folder / "images" / "im0001.jpg")
    (folder / "labels" / "im0001.txt").write_text("0 0.5 0.5 0.2 0.2" + " 0.5 0.5 2" * 14 + "\n")
    (folder / "data.yaml").write_text("kpt_shape: [14, 3]\nnames: person\n")
    return ["import", str(folder), "--project", str(world["project"]), "--format", "yolo"], "data.yaml"


def _yaml_bad_kpt_shape(world):
    folder = world["root"] / "yolo_kpt"
    shutil.copytree(world["root"] / "yolo_names", folder, dirs_exist_ok=True)
    (folder / "data.yaml").write_text("kpt_shape: [a, 3]\nnames: {0: person}\n")
    return ["import", str(folder), "--project", str(world["project"]), "--format", "yolo"], "data.yaml"


def _truncated_json(world):
    text = world["coco"].read_text()
    path = world["coco"].parent / "truncated.json"
    path.write_text(text[: len(text) // 2])
    return ["import", str(path), "--project", str(world["project"])], path.name


def _foreign_sqlite_project(world):
    path = world["root"] / "other_program.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    db.commit()
    db.close()
    return ["import", str(world["coco"]), "--project", str(path)], path.name


def _project_is_a_folder(world):
    # `info` describes a folder of images now (issue #25 item 14); a command that needs a project refuses it
    return ["export", str(world["root"] / "coco"), "--format", "coco", "--out", str(world["root"] / "out.json")], "coco"


def _export_onto_the_project(world):
    return ["export", str(world["project"]), "--format", "coco", "--out", str(world["project"])], world["project"].name


def _export_yolo_onto_the_project(world):
    return ["export", str(world["project"]), "--format", "yolo", "--out", str(world["project"])], world["project"].name


def _export_into_users_folder(world):
    folder = world["root"] / "my_documents"
    folder.mkdir(exist_ok=True)
    (folder / "thesis.txt").write_text("years of work")
    return ["export", str(world["project"]), "--format", "yolo", "--out", str(folder)], "my_documents"


def _export_coco_to_a_folder(world):
    folder = world["root"] / "a_folder"
    folder.mkdir(exist_ok=True)
    return ["export", str(world["project"]), "--format", "coco", "--out", str(folder)], "a_folder"


def _predict_every_zero(world):
    return ["predict", "--input", str(world["coco"].parent), "--out", str(world["root"] / "r.json"), "--every", "0"], "--every"


def _predict_negative_iterations(world):
    return ["predict", "--input", str(world["coco"].parent), "--out", str(world["root"] / "r.json"),
            "--iterations", "-3"], "--iterations"


def _predict_cuda_without_cuda(world):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    return ["predict", "--model", str(world["model"]), "--input", str(world["coco"].parent), "--out",
            str(world["root"] / "r.json"), "--device", "cuda"], "cuda"


def _predict_missing_input(world):
    return ["predict", "--model", str(world["model"]), "--input", str(world["root"] / "nowhere.jpg"), "--out",
            str(world["root"] / "r.json")], "nowhere.jpg"


def _eval_nothing_labelled(world):
    path = _coco_variant(world, "unlabelled.json", lambda d: d.update(annotations=[]))
    return ["eval", "--model", str(world["model"]), "--data", f"coco:{path}"], path.name


def _model_variant(world, name: str, change: Callable[[Path], None]) -> Path:
    folder = world["root"] / name
    if not folder.exists():
        shutil.copytree(world["model"], folder)
        change(folder)
    return folder


def _nan_weights(world):
    def poison(folder: Path) -> None:
        state = load_file(str(folder / "weights.safetensors"))
        key = next(k for k, v in state.items() if v.is_floating_point())
        state[key][...] = float("nan")
        save_file(state, str(folder / "weights.safetensors"))

    folder = _model_variant(world, "nan_model", poison)
    return ["eval", "--model", str(folder), "--data", f"coco:{world['coco']}"], "weights.safetensors"


def _wrong_shapes(world):
    def reshape(folder: Path) -> None:
        state = load_file(str(folder / "weights.safetensors"))
        key = next(k for k, v in state.items() if v.ndim == 4)
        state[key] = state[key][:, :1].contiguous()
        save_file(state, str(folder / "weights.safetensors"))

    folder = _model_variant(world, "reshaped_model", reshape)
    return ["predict", "--model", str(folder), "--input", str(world["coco"].parent), "--out", str(world["root"] / "r.json")], "weights.safetensors"


def _wrong_card_types(world):
    def retype(folder: Path) -> None:
        card = json.loads((folder / "card.json").read_text())
        card["config"] = "recurrent, please"
        (folder / "card.json").write_text(json.dumps(card))

    folder = _model_variant(world, "retyped_model", retype)
    return ["eval", "--model", str(folder), "--data", f"coco:{world['coco']}"], "card.json"


def _train_config_not_json(world):
    path = world["root"] / "config.json"
    path.write_text("{'model': 'recurrent-lite'}")
    return ["train", "--config", str(path), "--out", str(world["root"] / "run")], "config.json"


def _train_config_data_path_from_elsewhere(world):
    """configs/ hold paths from the checkout's root: run from elsewhere, the error says where it looked."""
    path = world["root"] / "relative.json"
    path.write_text(json.dumps({"model": "recurrent-lite", "data": ["lsp:no/such/lsp_train"]}))
    return ["train", "--config", str(path), "--out", str(world["root"] / "run2")], "read from the current folder"


def _finetune_on_unlabelled_project(world):
    empty = world["root"] / "empty.poseapp"
    if not empty.exists():
        Project.open(empty, create=True).close()
    return ["finetune", "--model", str(world["model"]), "--project", str(empty), "--out", str(world["root"] / "ft")], "empty.poseapp"


CASES = [
    _huge_id, _deep_json, _huge_bbox, _four_byte_jpeg, _header_only_image, _yaml_names_string, _yaml_bad_kpt_shape,
    _truncated_json, _foreign_sqlite_project, _project_is_a_folder, _export_onto_the_project,
    _export_yolo_onto_the_project, _export_into_users_folder, _export_coco_to_a_folder, _predict_every_zero,
    _predict_negative_iterations, _predict_cuda_without_cuda, _predict_missing_input, _eval_nothing_labelled,
    _nan_weights, _wrong_shapes, _wrong_card_types, _train_config_not_json, _train_config_data_path_from_elsewhere, _finetune_on_unlabelled_project,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_bad_input_gets_a_clear_error_and_changes_nothing(case, world, capsys):
    argv, named = case(world)
    before = _content(world["project"])
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses impossible argument values itself (exit 2)
        code = exc.code
    out, err = capsys.readouterr()
    assert code not in (0, None), out
    assert "Traceback" not in err + out and "internal error" not in err, err
    assert named in err, err
    assert _content(world["project"]) == before
    if case is _export_into_users_folder:
        assert (world["root"] / "my_documents" / "thesis.txt").read_text() == "years of work"
