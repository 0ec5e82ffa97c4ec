"""The layering rules: only poseapp/gui touches Qt; the data model touches neither Qt nor torch."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "poseapp"
QT_MODULES = {"PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_gui_imports_qt():
    offenders = [
        f"{p.relative_to(PACKAGE.parent)} imports {sorted(imported_roots(p) & QT_MODULES)}"
        for p in PACKAGE.rglob("*.py")
        if "gui" not in p.relative_to(PACKAGE).parts and imported_roots(p) & QT_MODULES
    ]
    assert not offenders, "\n".join(offenders)


def test_data_model_imports_neither_qt_nor_torch():
    for sub in ("core", "store", "formats"):
        for p in (PACKAGE / sub).rglob("*.py"):
            bad = imported_roots(p) & (QT_MODULES | {"torch"})
            assert not bad, f"{p.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


def test_the_checker_sees_imports(tmp_path):
    # Guards the guard: the scan must catch both import spellings.
    f = tmp_path / "x.py"
    f.write_text("import PySide6.QtCore\nfrom pyqtgraph import ImageItem\n")
    assert imported_roots(f) >= {"PySide6", "pyqtgraph"}
