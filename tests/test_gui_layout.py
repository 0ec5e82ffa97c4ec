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


def test_every_panel_is_readable_at_1366x768(qtbot, tmp_path, tiny_model):
    """Issue #25 item 13: the model's name was cut, the joint table showed 10 of 14 rows, the wheel
    over a plot zoomed it instead of scrolling the panel, the frame text cut long status messages,
    and a run's progress showed on the Model tab only."""
    from PySide6 import QtCore, QtGui

    from conftest import open_demo_window

    window = open_demo_window(qtbot, tmp_path, (1366, 768))
    try:
        box = window.model_panel.model_box
        assert box.width() >= box.fontMetrics().horizontalAdvance(box.currentText()) + 20, box.currentText()
        window._go_row(6)  # the COCO skier: 17 joints
        skier = next(i for i in window.project.instances(window.current_frame_id) if len(i.keypoints) == 17)
        window.select_joint(skier.id, 0)  # as a click on the nose does
        table = window.joint_table
        assert table.rowCount() == 17
        assert table.rowViewportPosition(16) + table.rowHeight(16) <= table.viewport().height()  # the last row shows
        assert window.frame_list.textElideMode() == QtCore.Qt.TextElideMode.ElideMiddle
        # the wheel over the heatmap plot scrolls the panel and leaves the plot's range alone
        window.side_tabs.setCurrentIndex(1)
        plot = window.heatmap_panel.plot
        before = plot.getViewBox().viewRange()
        centre = plot.viewport().rect().center()
        event = QtGui.QWheelEvent(QtCore.QPointF(centre), QtCore.QPointF(plot.viewport().mapToGlobal(centre)), QtCore.QPoint(0, 0),
                                  QtCore.QPoint(0, -120), QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                                  QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        QtWidgets.QApplication.sendEvent(plot.viewport(), event)
        assert plot.getViewBox().viewRange() == before
        # a long status message keeps most of the bar: the frame text takes a quarter at most
        assert window.frame_info.width() <= 400
        # a run's progress shows in the status bar too, whichever tab is in front
        window.model_panel.add_model(tiny_model)
        window.actions_by_name["run"].trigger()
        qtbot.waitUntil(lambda: window.status_progress.isVisible() or window.job is None, timeout=60_000)
        qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
        assert not window.status_progress.isVisible()
        window.grab().save(str(tmp_path / "layout-1366.png"))
    finally:
        window.close_project()
