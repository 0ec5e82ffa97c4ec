"""Shared fixtures. Data tests use the real files in ../shared/data (see its README)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

# The window loads PyTorch in a thread after it opens (gui/runtime_loader.py). The tests load it
# first, so that every window's model panel is ready the moment it exists; the background path has
# its own test, in a fresh interpreter (tests/test_gui_startup.py).
import poseapp.models  # noqa: E402, F401

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("POSEAPP_DATA", REPO.parent / "shared" / "data"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need the real data in ../shared/data (or set POSEAPP_DATA)")
    return path


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory, monkeypatch):
    """Every test gets its own empty per-user data and settings folders: nothing a user trained,
    opened or arranged on this machine can change a result, and no test writes into them."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("POSEAPP_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    return home


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _need(DATA)


@pytest.fixture(scope="session")
def coco_json(data_dir: Path) -> Path:
    return _need(data_dir / "coco_sample" / "test_coco.json")


@pytest.fixture
def coco_copy(tmp_path: Path, coco_json: Path) -> Path:
    """The real COCO sample file and its images in a scratch folder, to be damaged by a test."""
    folder = tmp_path / "coco"
    shutil.copytree(coco_json.parent, folder)
    return folder / "test_coco.json"


@pytest.fixture(scope="session")
def lsp_dir(data_dir: Path) -> Path:
    return _need(data_dir / "lsp_train")


@pytest.fixture(scope="session")
def lspet_dir(data_dir: Path) -> Path:
    return _need(data_dir / "lspet")


@pytest.fixture(scope="session")
def video_path(data_dir: Path) -> Path:
    return _need(data_dir / "video" / "vtest.avi")


@pytest.fixture
def project(tmp_path: Path):
    from poseapp.store import Project

    with Project.open(tmp_path / "test.poseapp", create=True) as proj:
        yield proj


@pytest.fixture
def small_lsp(tmp_path: Path, lsp_dir: Path) -> Path:
    """An LSP folder holding the full joints.mat but only images 1-5 and 998 (as users often have)."""
    folder = tmp_path / "lsp_subset"
    (folder / "images").mkdir(parents=True)
    shutil.copy(lsp_dir / "joints.mat", folder / "joints.mat")
    for n in (1, 2, 3, 4, 5, 998):
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", folder / "images" / f"im{n:04d}.jpg")
    return folder


@pytest.fixture
def project_file(tmp_path, small_lsp) -> Path:
    """A project file holding the small LSP subset (closed again: tests open it as they need)."""
    from poseapp.formats import import_source
    from poseapp.store import Project

    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, small_lsp)
    return path


def make_model_folder(folder: Path, name: str = "recurrent-lite", seed: int = 0) -> Path:
    """A real (untrained) model saved as a model folder: safetensors weights and a card."""
    import torch

    from poseapp.engine import checkpoint as ckpt
    from poseapp.models import build_model

    torch.manual_seed(seed)
    model = build_model(name).eval()
    ckpt.save_weights(model, folder)
    ckpt.write_card(folder, ckpt.make_card(model, folder.name))
    return folder


def synthetic_mouse() -> None:
    """pyqtgraph drops mouse moves closer than 10 ms apart (a rate limit for real mice); a test's
    moves come microseconds apart, so a drag could start late or not at all. No limit in tests."""
    import pyqtgraph as pg

    pg.setConfigOption("mouseRateLimit", 0)


def new_window(qtbot, size: tuple[int, int] = (1366, 768)):
    """The main window shown at ``size``, with no project (Qt is imported only when a GUI test
    asks for a window)."""
    from poseapp.gui.app import configure_pyqtgraph
    from poseapp.gui.main_window import MainWindow

    configure_pyqtgraph()
    synthetic_mouse()
    win = MainWindow()
    win.resize(*size)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def open_demo_window(qtbot, tmp_path: Path, size: tuple[int, int] = (1366, 768)):
    """The main window on a fresh copy of the bundled demo project: the GUI tests' common start."""
    from poseapp.demo import ensure_demo_project

    win = new_window(qtbot, size)
    assert win.open_project(ensure_demo_project(tmp_path))
    return win


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_demo_window(qtbot, tmp_path)
    yield win
    win.close_project()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A real, untrained recurrent-lite model folder (seeded), for runs that need not be accurate."""
    return make_model_folder(tmp_path_factory.mktemp("models") / "tiny-recurrent", seed=1)
