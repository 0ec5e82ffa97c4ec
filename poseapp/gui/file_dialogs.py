"""File dialogs that never open the files they list.

Qt's file dialogs (the native one on Linux desktops included, which runs in this process) ask the
icon provider for each file's type, and Qt's provider sniffs the content: it opens and closes
every listed file, the open project among them. Closing any descriptor of the project file drops
every POSIX lock this process holds on it (SQLite's), see poseapp/store/writer_lock.py. These
dialogs are Qt's own widgets with an icon provider that judges by name and kind only, so the
listing touches no file's content (checked with strace in tests/test_gui_data_safety.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from poseapp.gui.settings import user_settings


class NameOnlyIconProvider(QtWidgets.QFileIconProvider):
    """Folder, drive or file icons and type names from the file's name and kind, never its content."""

    def icon(self, what):  # noqa: ANN001 - Qt passes an IconType or a QFileInfo
        if isinstance(what, QtWidgets.QFileIconProvider.IconType):
            return super().icon(what)
        kind = QtWidgets.QFileIconProvider.IconType
        if what.isRoot():
            return super().icon(kind.Drive)
        return super().icon(kind.Folder if what.isDir() else kind.File)

    def type(self, info: QtCore.QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


LAST_FOLDER = "dialogs/last_folder"


def start_folder(parent) -> Path:
    """Where a file dialog opens: the folder the user last chose a file in, else the open
    project's folder, else the home folder (never the folder poseapp happens to run from)."""
    last = user_settings().value(LAST_FOLDER)
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    project = getattr(parent, "project", None)
    if project is not None and Path(project.path).parent.is_dir():
        return Path(project.path).parent
    return Path.home()


def _start(parent, directory: str) -> str:
    """``directory`` as a place to open: a bare default name ('annotations.json') goes into start_folder."""
    if directory and (Path(directory).is_absolute() or Path(directory).parent != Path(".")):
        return directory
    return str(start_folder(parent) / directory) if directory else str(start_folder(parent))


def _dialog(parent, caption: str, directory: str, filters: str, mode: QtWidgets.QFileDialog.FileMode,
            accept: QtWidgets.QFileDialog.AcceptMode) -> QtWidgets.QFileDialog:
    dialog = QtWidgets.QFileDialog(parent, caption, _start(parent, directory), filters)
    dialog.setOption(QtWidgets.QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setIconProvider(NameOnlyIconProvider())
    dialog.setFileMode(mode)
    dialog.setAcceptMode(accept)
    if mode == QtWidgets.QFileDialog.FileMode.Directory:
        dialog.setOption(QtWidgets.QFileDialog.Option.ShowDirsOnly, True)
    return dialog


def _run(dialog: QtWidgets.QFileDialog) -> tuple[str, str]:
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return "", ""
    chosen = dialog.selectedFiles()[0]
    remember_folder(chosen, dialog.fileMode() == QtWidgets.QFileDialog.FileMode.Directory)
    return chosen, dialog.selectedNameFilter()


def remember_folder(chosen: str, is_folder: bool) -> None:
    """The next dialog opens where this one was answered."""
    folder = Path(chosen) if is_folder else Path(chosen).parent
    settings = user_settings()
    settings.setValue(LAST_FOLDER, str(folder.parent if is_folder else folder))
    settings.sync()


def get_open_file_name(parent, caption: str = "", directory: str = "", filters: str = "") -> tuple[str, str]:
    """(path, chosen filter), like ``QFileDialog.getOpenFileName``; ("", "") when cancelled."""
    mode, accept = QtWidgets.QFileDialog.FileMode.ExistingFile, QtWidgets.QFileDialog.AcceptMode.AcceptOpen
    return _run(_dialog(parent, caption, directory, filters, mode, accept))


def get_save_file_name(parent, caption: str = "", directory: str = "", filters: str = "") -> tuple[str, str]:
    mode, accept = QtWidgets.QFileDialog.FileMode.AnyFile, QtWidgets.QFileDialog.AcceptMode.AcceptSave
    return _run(_dialog(parent, caption, directory, filters, mode, accept))


def get_existing_directory(parent, caption: str = "", directory: str = "") -> str:
    mode, accept = QtWidgets.QFileDialog.FileMode.Directory, QtWidgets.QFileDialog.AcceptMode.AcceptOpen
    return _run(_dialog(parent, caption, directory, "", mode, accept))[0]
