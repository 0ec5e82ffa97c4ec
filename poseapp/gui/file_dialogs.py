"""File dialogs that never open the files they list.

Qt's file dialogs (the native one on Linux desktops included, which runs in this process) ask the
icon provider for each file's type, and Qt's provider sniffs the content: it opens and closes
every listed file, the open project among them. Closing any descriptor of the project file drops
every POSIX lock this process holds on it (SQLite's), see poseapp/store/writer_lock.py. These
dialogs are Qt's own widgets with an icon provider that judges by name and kind only, so the
listing touches no file's content (checked with strace in tests/test_gui_data_safety.py).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


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


def _dialog(parent, caption: str, directory: str, filters: str, mode: QtWidgets.QFileDialog.FileMode,
            accept: QtWidgets.QFileDialog.AcceptMode) -> QtWidgets.QFileDialog:
    dialog = QtWidgets.QFileDialog(parent, caption, directory, filters)
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
    return dialog.selectedFiles()[0], dialog.selectedNameFilter()


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
