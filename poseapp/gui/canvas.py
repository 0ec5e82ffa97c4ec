"""The image canvas: a frame with each instance's box, limbs and joints drawn over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.skeleton import Skeleton
from poseapp.gui.joints_item import JointsItem, OverlayPoints, joint_colour, take_no_clicks
from poseapp.gui.track_timeline import text_colour, track_colour
from poseapp.gui.view_box import DrawingViewBox
from poseapp.store import Instance
from poseapp.store.edits import placed_joints
from poseapp.store.records import WHOLE_IMAGE

SIDE_COLOURS = {"left": (66, 133, 244), "right": (244, 120, 46), "centre": (52, 199, 89)}
PLACED_SYMBOL = "s"  # joints the user placed (refinement never moves them) are drawn as squares
FLASH_COLOUR = "#ffeb3b"  # the ring around joints that refinement just moved
PREDICTED_BOX = (255, 214, 10)
MANUAL_BOX = (0, 188, 212)


def heat_lut() -> np.ndarray:
    """256 x 4 uint8: red-yellow-white, fully clear below 15% of the top so the image shows through."""
    t = np.linspace(0.0, 1.0, 256)
    alpha = np.clip((t - 0.15) / 0.45, 0, 1)
    lut = np.stack([np.clip(0.4 + 2 * t, 0, 1), np.clip(2 * t - 0.5, 0, 1), np.clip(3 * t - 2, 0, 1), alpha], axis=1)
    return np.ascontiguousarray((lut * 255).astype(np.uint8))


HEAT_LUT = heat_lut()


def affine_to_qtransform(affine: np.ndarray) -> QtGui.QTransform:
    """A 2 x 3 map of heatmap cell centres to image coordinates, as the transform of an ImageItem
    (whose cell u spans [u, u+1], centre u + 0.5)."""
    a = affine[:, :2]
    b = affine[:, 2] - a @ np.array([0.5, 0.5])
    return QtGui.QTransform(a[0, 0], a[1, 0], a[0, 1], a[1, 1], b[0], b[1])


HEAT_UPSAMPLE = 4  # heatmaps are drawn bilinearly upsampled: 32 x 32 cells as blocks hide where the peak is


def smooth_heatmap(heat: np.ndarray, affine: np.ndarray, factor: int = HEAT_UPSAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """(upsampled map, its cell-centre affine). cv2's bilinear resize puts output cell u over input
    position (u + 0.5) / f - 0.5, which the new affine composes in, so peaks stay where they were."""
    import cv2

    h, w = heat.shape
    big = cv2.resize(np.ascontiguousarray(heat, dtype=np.float32), (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)
    shift = 0.5 / factor - 0.5
    to_cells = np.array([[1.0 / factor, 0.0, shift], [0.0, 1.0 / factor, shift], [0.0, 0.0, 1.0]])
    return big, affine @ to_cells


def stage_colour(t: int, total: int) -> tuple[int, int, int]:
    """Early steps blue, the last step yellow."""
    f = t / max(1, total - 1)
    return (int(80 + 175 * f), int(200 - 60 * f), int(255 - 200 * f))


def limb_side(skeleton: Skeleton, a: int, b: int) -> str:
    sides = {skeleton.side(a), skeleton.side(b)}
    return sides.pop() if len(sides) == 1 else "centre"


class FrameCanvas(pg.GraphicsLayoutWidget):
    """Zoom with the wheel, pan by dragging the background, drag joints to move them;
    ``show_frame`` replaces what is drawn."""

    joint_clicked = QtCore.Signal(int, int)  # instance id, joint
    joint_dropped = QtCore.Signal(int, int, float, float)  # instance id, joint, x, y (on release)
    box_changed = QtCore.Signal(int, object)  # instance id, (x, y, w, h) (when a box drag ends)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.view = DrawingViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.addItem(self.view)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        # pyqtgraph draws pixel i over [i, i+1]; poseapp's coordinates put pixel centres on integers
        self.image_item.setPos(-0.5, -0.5)
        self.view.addItem(self.image_item)
        self._overlay: list[QtWidgets.QGraphicsItem] = []
        self.whole_image_note: pg.TextItem | None = None  # the frame's "no person found" note, when shown
        self.track_labels: list[pg.TextItem] = []  # "#id" of each person followed through a video
        self._heat_images: list[pg.ImageItem] = []
        self._stage_items: list[tuple[pg.ScatterPlotItem, pg.PlotCurveItem]] = []
        self._shape: tuple[int, int] | None = None
        self._drawn: dict[int, dict] = {}  # instance id -> keypoints, skeleton, limb curves, joints item
        scene = self.scene()
        hover = scene.sendHoverEvents

        def hover_unless_dragging(ev, exitOnly=False):  # noqa: N803 (pyqtgraph's name)
            # Nothing hovers while a joint is dragged; skipping the item search saves ~1.3 ms a move.
            if not scene.dragButtons:
                hover(ev, exitOnly)

        scene.sendHoverEvents = hover_unless_dragging
        self.selected: tuple[int, int] | None = None
        # below and right of the joint: above it, the label hid a person's #track id at the box corner
        self.hover_label = pg.TextItem(color="#ffffff", fill=pg.mkBrush(0, 0, 0, 170), anchor=(-0.1, -0.25))
        self.selection_label = pg.TextItem(color="#000000", fill=pg.mkBrush(255, 255, 255, 220), anchor=(-0.15, 0.5))
        for label in (self.hover_label, self.selection_label):
            take_no_clicks(label)
            label.setZValue(40)
            label.setVisible(False)
            self.view.addItem(label)
        self._selection = OverlayPoints(size=18, pxMode=True, brush=None, pen=pg.mkPen("#ffffff", width=2))
        self._selection.setZValue(30)
        self.view.addItem(self._selection)

    def show_frame(self, image: np.ndarray, instances: list[Instance], skeletons: dict[str, Skeleton]) -> None:
        image = np.ascontiguousarray(image)
        self.image_item.setImage(image, autoLevels=False, levels=(0, 255))
        self.image_item.setVisible(True)
        if self._shape != image.shape[:2]:
            self._shape = image.shape[:2]
            self.fit_image()
        self._clear_overlay()
        for inst in instances:
            self._draw_instance(inst, skeletons[inst.skeleton])
        self._note_whole_image(instances)

    # said on a frame whose prediction was made in the whole picture because nobody was found there
    WHOLE_IMAGE_NOTE = "No person found here: this pose is a guess in the whole image. N draws a person's box."

    def _note_whole_image(self, instances: list[Instance]) -> None:
        self.whole_image_note = None
        if any(inst.extra.get(WHOLE_IMAGE) for inst in instances):
            note = pg.TextItem(self.WHOLE_IMAGE_NOTE, color="#ffd27f", fill=pg.mkBrush(0, 0, 0, 170), anchor=(0, 0))
            note.setPos(0.0, 0.0)
            note.setZValue(30)
            self.whole_image_note = note
            self._add(take_no_clicks(note))

    def fit_image(self) -> None:
        """Fit the view to the image alone: the last frame's heatmaps and people, still drawn
        until they are replaced, must not widen the range and push a small image into a corner."""
        self.view.autoRange(padding=0.02, items=[self.image_item])

    def flash_joints(self, points: np.ndarray, ms: int = 1200) -> None:
        """Rings around the joints a refinement just moved: shown, then fading out over ``ms``. Not
        part of the frame's overlay, so the redraw that the edit causes keeps it."""
        self.clear_flash()
        ring = OverlayPoints(pos=np.asarray(points, dtype=np.float64).reshape(-1, 2), size=24, pxMode=True, brush=None,
                             pen=pg.mkPen(FLASH_COLOUR, width=3))
        ring.setZValue(28)
        self.view.addItem(ring)
        fade = QtCore.QVariantAnimation(self)
        fade.setDuration(ms)
        fade.setStartValue(1.0)
        fade.setKeyValueAt(0.5, 1.0)  # full strength for the first half: the eye finds it first
        fade.setEndValue(0.0)
        fade.valueChanged.connect(lambda value: ring.setOpacity(float(value)))
        fade.finished.connect(self.clear_flash)
        self.flash, self._fade = ring, fade
        fade.start()

    def clear_flash(self) -> None:
        if getattr(self, "_fade", None) is not None:
            self._fade.stop()
            self._fade = None
        if getattr(self, "flash", None) is not None:
            self.view.removeItem(self.flash)
            self.flash = None

    def clear_frame(self) -> None:
        # Not named clear(): GraphicsLayoutWidget binds self.clear to its layout's clear(), which
        # would remove the view box itself.
        self.image_item.setVisible(False)
        self.clear_flash()
        self._clear_overlay()
        self.clear_heatmaps()
        self._shape = None  # the next image is fitted whatever its size

    def clear_heatmaps(self) -> None:
        for item in self._heat_images:
            self.view.removeItem(item)
        for pair in self._stage_items:
            for item in pair:
                self.view.removeItem(item)
        self._heat_images.clear()
        self._stage_items.clear()

    @property
    def _heat(self) -> list[QtWidgets.QGraphicsItem]:
        """Everything the heatmap view draws (visible items), for tests and inspection."""
        items: list[QtWidgets.QGraphicsItem] = list(self._heat_images)
        for cross, path in self._stage_items:
            items.append(cross)
            if path.isVisible():
                items.append(path)
        return items

    def _clear_overlay(self) -> None:
        for item in self._overlay:
            self.view.removeItem(item)
        self._overlay.clear()
        self.track_labels.clear()
        self._drawn.clear()
        self.edit_box(None)
        self.show_hover(None)

    def bring_into_view(self, box: tuple[float, float, float, float]) -> None:
        """Pan (at the same zoom) so that ``box`` (x, y, w, h, image pixels) is centred, when any
        of it lies outside the view: a walker chosen on the track timeline is then on screen."""
        (x0, x1), (y0, y1) = self.view.viewRange()
        x, y, w, h = box
        if x >= x0 and y >= y0 and x + w <= x1 and y + h <= y1:
            return
        dx, dy = x + w / 2 - (x0 + x1) / 2, y + h / 2 - (y0 + y1) / 2
        self.view.setRange(xRange=(x0 + dx, x1 + dx), yRange=(y0 + dy, y1 + dy), padding=0)

    def select(self, instance_id: int | None, joint: int | None) -> None:
        """Ring the selected joint and name it beside the ring (or show nothing)."""
        drawn = self._drawn.get(instance_id) if instance_id is not None else None
        self.selected = (instance_id, joint) if drawn is not None and joint is not None else None
        if drawn is None or joint is None or drawn["keypoints"][joint, 2] == 0:
            self._selection.setData([], [])
            self.selection_label.setVisible(False)
            return
        x, y = drawn["keypoints"][joint, :2]
        self._selection.setData([x], [y])
        self.selection_label.setText(drawn["skeleton"].joints[joint])
        self.selection_label.setPos(float(x), float(y))
        self.selection_label.setVisible(True)

    def show_placed(self, keypoints: np.ndarray | None, skeleton: Skeleton | None = None) -> None:
        """The joints placed so far while a person is added joint by joint, and the bones between
        them (``skeleton``), coloured by side as a finished person's (None clears them)."""
        if getattr(self, "_placed", None) is None:
            self._placed = OverlayPoints(size=10, pxMode=True)
            self._placed.setZValue(35)
            self.view.addItem(self._placed)
            self._placed_bones = {}
            for side, colour in SIDE_COLOURS.items():
                curve = take_no_clicks(pg.PlotCurveItem([], [], connect="pairs", pen=pg.mkPen(colour, width=3)))
                curve.setZValue(34)
                self.view.addItem(curve)
                self._placed_bones[side] = curve
        if keypoints is None:
            self._placed.setData([], [])
            for curve in self._placed_bones.values():
                curve.setData([], [])
            return
        shown = np.flatnonzero(keypoints[:, 2] > 0)
        k = len(keypoints)
        self._placed.setData(pos=keypoints[shown, :2], brush=[pg.mkBrush(*joint_colour(int(j), k)) for j in shown],
                             pen=pg.mkPen("w", width=1))
        for side, curve in self._placed_bones.items():
            pts = self._limb_points(keypoints, skeleton, side) if skeleton is not None else np.zeros((0, 2))
            curve.setData(pts[:, 0], pts[:, 1], connect="pairs")

    def show_hover(self, name: str | None, x: float = 0.0, y: float = 0.0) -> None:
        """The name of the joint under the mouse, just above it (None hides it)."""
        self.hover_label.setVisible(name is not None)
        if name is not None:
            self.hover_label.setText(name)
            self.hover_label.setPos(float(x), float(y))

    # said on the canvas while re-box (B) is on, so nobody wonders why the box has handles
    REBOX_NOTE = "Re-box: drag a corner handle. Enter, Esc or B: done"

    def edit_box(self, instance_id: int | None) -> None:
        """Handles on the selected person's box: drag a corner to resize it; reported on release.
        Only the handles take the mouse: a drag inside the box still moves the joint under it
        (the box itself used to move, off the image, under a joint drag)."""
        for name in ("_box_roi", "rebox_note"):
            item = getattr(self, name, None)
            if item is not None:
                self.view.removeItem(item)
                setattr(self, name, None)
        drawn = self._drawn.get(instance_id) if instance_id is not None else None
        if drawn is None:
            return
        box = drawn["bbox"] if drawn["bbox"] is not None else drawn.get("person_box")
        if box is None:
            return
        x, y, w, h = box
        roi = pg.RectROI((x, y), (w, h), pen=pg.mkPen("#00bcd4", width=2), movable=False, rotatable=False, resizable=False)
        for corner, anchor in (((0, 0), (1, 1)), ((1, 0), (0, 1)), ((0, 1), (1, 0)), ((1, 1), (0, 0))):
            roi.addScaleHandle(corner, anchor)
        roi.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)  # the body passes clicks to the joints
        roi.setZValue(25)
        roi.sigRegionChangeFinished.connect(
            lambda r: self.box_changed.emit(instance_id, (r.pos().x(), r.pos().y(), r.size().x(), r.size().y()))
        )
        self.view.addItem(roi)
        self._box_roi = roi
        # inside the box's bottom edge: above its top it left the view when the box starts at the image's top
        note = pg.TextItem(self.REBOX_NOTE, color="#00bcd4", fill=pg.mkBrush(0, 0, 0, 170), anchor=(0, 1))
        note.setPos(float(x), float(y + h))
        note.setZValue(30)
        self.view.addItem(take_no_clicks(note))
        self.rebox_note = note

    PICK_RADIUS_PX = 7.0  # a joint takes a click this close to its centre, on screen

    def joints_under(self, scene_pos: QtCore.QPointF) -> list[tuple[int, int]]:
        """(instance id, joint) of every drawn joint under the cursor, nearest first, all people."""
        found = []
        for instance_id, drawn in self._drawn.items():
            item = drawn["joints"]
            for joint, (x, y) in zip(item._joints, item._pos):
                p = self.view.mapViewToScene(QtCore.QPointF(float(x), float(y)))
                d = float(np.hypot(p.x() - scene_pos.x(), p.y() - scene_pos.y()))
                if d <= self.PICK_RADIUS_PX:
                    found.append((d, instance_id, joint))
        return [(i, j) for _, i, j in sorted(found)]

    def click_joint_at(self, scene_pos: QtCore.QPointF) -> None:
        """Select the joint under the cursor; clicking the same spot again cycles through the
        joints that lie there (both knees of a prediction often do)."""
        under = self.joints_under(scene_pos)
        if not under:
            return
        last = getattr(self, "_last_pick", None)
        if last is not None and last[0] == under and np.hypot(last[1].x() - scene_pos.x(), last[1].y() - scene_pos.y()) < 3:
            pick = under[(under.index(last[2]) + 1) % len(under)] if last[2] in under else under[0]
        else:
            pick = under[0]
        self._last_pick = (under, QtCore.QPointF(scene_pos), pick)
        self.joint_clicked.emit(*pick)

    def joints_item(self, instance_id: int) -> "JointsItem | None":
        drawn = self._drawn.get(instance_id)
        return drawn["joints"] if drawn else None

    def _limbs_follow(self, instance_id: int, joint: int, x: float, y: float) -> None:
        drawn = self._drawn[instance_id]
        drawn["keypoints"][joint, :2] = (x, y)
        skeleton = drawn["skeleton"]
        touched = {limb_side(skeleton, a, b) for a, b in skeleton.edges if joint in (a, b)}
        for side in touched:  # only the limbs that end at this joint move
            pts = self._limb_points(drawn["keypoints"], skeleton, side)
            drawn["curves"][side].setData(pts[:, 0], pts[:, 1], connect="pairs")
        self._selection.setData([x], [y])
        self.selection_label.setPos(float(x), float(y))

    def _add(self, item: QtWidgets.QGraphicsItem) -> None:
        self.view.addItem(item)
        self._overlay.append(item)

    def show_heatmaps(self, layers: list[tuple[np.ndarray, np.ndarray]], levels: tuple[float, float], opacity: float) -> None:
        """``layers``: (h x w float map, 2 x 3 cell-to-image affine), one per person. Items are
        reused between calls (stepping iterations only swaps the pixels)."""
        while len(self._heat_images) > len(layers):
            self.view.removeItem(self._heat_images.pop())
        for n, (heat, affine) in enumerate(layers):
            if n == len(self._heat_images):
                item = take_no_clicks(pg.ImageItem(axisOrder="row-major"))
                item.setLookupTable(HEAT_LUT)
                item.setZValue(5)
                self.view.addItem(item)
                self._heat_images.append(item)
            item = self._heat_images[n]
            heat, affine = smooth_heatmap(heat, affine)
            item.setImage(heat, autoLevels=False, levels=levels)
            item.setTransform(affine_to_qtransform(affine))
            item.setOpacity(opacity)

    def show_stage_points(self, tracks: list[np.ndarray], current: int, joint: int | None) -> None:
        """Each person's decoded keypoints at the current step (crosses) and, for one joint, its
        path over all steps, so the user sees where the iterations move it. tracks: (T, K, 2)."""
        while len(self._stage_items) > len(tracks):
            for item in self._stage_items.pop():
                self.view.removeItem(item)
        for n, track in enumerate(tracks):
            if n == len(self._stage_items):
                cross = OverlayPoints(symbol="x", size=11, pxMode=True, brush=None)
                path = take_no_clicks(pg.PlotCurveItem(pen=pg.mkPen("#ffffff", width=1.5, style=QtCore.Qt.PenStyle.DotLine)))
                cross.setZValue(20)
                path.setZValue(19)
                self.view.addItem(cross)
                self.view.addItem(path)
                self._stage_items.append((cross, path))
            cross, path = self._stage_items[n]
            total = track.shape[0]
            pts = track[current] if joint is None else track[current, [joint]]
            cross.setData(x=pts[:, 0], y=pts[:, 1], pen=pg.mkPen(stage_colour(current, total), width=2))
            if joint is not None and total > 1:
                path.setData(track[:, joint, 0], track[:, joint, 1])
                path.setVisible(True)
            else:
                path.setVisible(False)

    def _draw_instance(self, inst: Instance, skeleton: Skeleton) -> None:
        dashed = inst.origin == "predicted"
        if inst.bbox is not None:
            x, y, w, h = inst.bbox
            box = QtWidgets.QGraphicsRectItem(x, y, w, h)
            pen = pg.mkPen(PREDICTED_BOX if dashed else MANUAL_BOX, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            box.setPen(pen)
            self._add(take_no_clicks(box))
        self._label_track(inst)
        kps = inst.keypoints.copy()
        curves = {}
        for side, colour in SIDE_COLOURS.items():
            pts = self._limb_points(kps, skeleton, side)
            style = QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine
            curve = pg.PlotCurveItem(pts[:, 0], pts[:, 1], connect="pairs", pen=pg.mkPen(colour, width=3, style=style))
            self._add(take_no_clicks(curve))
            curves[side] = curve
        shown = np.flatnonzero(kps[:, 2] > 0)  # v = 0: not labelled, so nothing to draw
        # as refinement sees them: an imported annotation's labelled joints are all the user's (placed_joints)
        placed = placed_joints(inst)
        symbols = [PLACED_SYMBOL if int(j) in placed else "o" for j in shown]  # the user's joints: squares
        brushes, pens = [], []
        for j in shown:
            colour = joint_colour(int(j), skeleton.num_joints)  # limbs show the side, joints their own colour
            occluded = kps[j, 2] == 1
            brushes.append(pg.mkBrush(0, 0, 0, 0) if occluded else pg.mkBrush(*colour))  # occluded: hollow
            pens.append(pg.mkPen(colour, width=2) if occluded else pg.mkPen("w", width=1))
        joints = JointsItem(self, int(inst.id) if inst.id is not None else -1, shown, kps[shown, :2].reshape(-1, 2), brushes, pens,
                            skeleton.joints, symbols)
        joints.setZValue(10)
        self._add(joints)
        self._drawn[int(inst.id) if inst.id is not None else -1] = {
            "keypoints": kps, "skeleton": skeleton, "curves": curves, "joints": joints, "bbox": inst.bbox,
            "person_box": inst.person_box(),
        }

    def _label_track(self, inst: Instance) -> None:
        """A person followed through a video wears their track id at the box's top-left corner, so the
        user sees whether the same walker keeps one id from frame to frame."""
        track = inst.extra.get("track_id")
        corner = inst.box_or_keypoint_extent()
        if not isinstance(track, int) or isinstance(track, bool) or corner is None:
            return
        colour = track_colour(track)  # the colour of the walker's segments on the track timeline
        fill = QtGui.QColor(colour)
        fill.setAlpha(210)
        label = pg.TextItem(f"#{track}", color=text_colour(colour), fill=pg.mkBrush(fill), anchor=(0, 1))
        label.setPos(corner[0], corner[1])
        self.track_labels.append(label)
        self._add(take_no_clicks(label))

    @staticmethod
    def _limb_points(kps: np.ndarray, skeleton: Skeleton, side: str) -> np.ndarray:
        segments = [
            (kps[a, :2], kps[b, :2]) for a, b in skeleton.edges
            if kps[a, 2] > 0 and kps[b, 2] > 0 and limb_side(skeleton, a, b) == side
        ]
        return np.array(segments, dtype=np.float64).reshape(-1, 2)
