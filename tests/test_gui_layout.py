"""The window on small screens: it fits 1366x768 and 1280x720, docks scroll instead of pushing
the window taller, and no dock draws over the canvas or another dock."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from poseapp.demo import ensure_demo_project  # noqa: E402
from conftest import synthetic_mouse  # noqa: E402
from poseapp.gui.app import configure_pyqtgraph  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)])
def test_the_window_fits_a_small_screen_without_overlaps(qtbot, tmp_path, size):
    configure_pyqtgraph()
    synthetic_mouse()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_project(ensure_demo_project(tmp_path))
    QtWidgets.QApplication.processEvents()
    assert win.minimumSizeHint().height() <= size[1] - 40 and win.minimumSizeHint().width() <= size[0]
    assert (win.width(), win.height()) == size
    # a dock tabbed behind another is parked off-window by Qt: only what shows counts
    parts = [win.centralWidget()] + [d for d in win.findChildren(QtWidgets.QDockWidget)
                                     if d.isVisible() and not d.visibleRegion().isEmpty()]
    assert len(parts) == 3  # the canvas, the model dock, one of the tabbed docks
    for i, a in enumerate(parts):
        assert win.rect().contains(a.geometry()), a.objectName()
        for b in parts[i + 1:]:
            assert a.geometry().intersected(b.geometry()).isEmpty(), (a.objectName(), b.objectName())
    assert win.canvas.width() >= 500 and win.canvas.height() >= 400  # the image keeps most of the window
    # dock tab bars sit with their docks (a stray one once showed a sliver beside the frame list)
    for bar in win.findChildren(QtWidgets.QTabBar):
        if bar.isVisible() and not bar.visibleRegion().isEmpty():
            where = QtCore.QRect(bar.mapTo(win, QtCore.QPoint(0, 0)), bar.size())
            assert not where.intersects(win.centralWidget().geometry()), where
    shown = sorted(tuple(bar.tabText(i) for i in range(bar.count())) for bar in win.findChildren(QtWidgets.QTabBar)
                   if bar.isVisible() and not bar.visibleRegion().isEmpty())
    assert shown == [("Joints", "Occlusion", "Retrain"), ("Model", "Heatmaps")]
    assert win.heatmap_panel.visibleRegion().isEmpty()  # behind its tab; [ or ] brings it up whole
    win.actions_by_name["stage_next"].trigger()
    QtWidgets.QApplication.processEvents()
    panel = win.heatmap_panel
    viewport = win.side_tabs.currentWidget().viewport()  # the tab's scroll area
    top = panel.mapTo(viewport, QtCore.QPoint(0, 0)).y()
    if size == (1366, 768):
        assert top >= 0 and top + panel.height() <= viewport.height()  # all of it, nothing below a fold
        # the Model tab too: its info line (the card's figures) is read without scrolling
        win.side_tabs.setCurrentIndex(0)
        QtWidgets.QApplication.processEvents()
        area = win.side_tabs.currentWidget()
        info = win.model_panel.info
        bottom = info.mapTo(area.viewport(), QtCore.QPoint(0, info.height())).y()
        assert info.text() and bottom <= area.viewport().height(), (bottom, area.viewport().height())
    win.close_project()
