"""The Tracks menu and the track timeline in the window, on the demo's pedestrian video (issue #27
item 4): each tool driven by its key or menu action, its effect checked in the project, and one
Ctrl+Z taking all of it back exactly (Ctrl+Shift+Z making it again)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from conftest import make_model_folder  # noqa: E402
from test_gui_actions import trigger  # noqa: E402
from test_track_edits import same, snapshot  # noqa: E402
from poseapp.store import Instance  # noqa: E402
from poseapp.store.edits import PLACED  # noqa: E402
from poseapp.store.interpolation import INTERPOLATION  # noqa: E402
from poseapp.store.tracks import track_of, tracked_people  # noqa: E402

Key, Mod = QtCore.Qt.Key, QtCore.Qt.KeyboardModifier
LEFT = QtCore.Qt.MouseButton.LeftButton


class Video:
    """The demo video in the window, with walkers written into the project."""

    def __init__(self, window):
        self.window, self.project = window, window.project
        self.source = next(s.id for s in self.project.sources() if s.kind == "video")

    def frame(self, index):
        return self.project.frame_by_index(self.source, index)

    def walker(self, index, track, x, origin="predicted", placed=None, model_id="recurrent-lite"):
        kps = np.column_stack([np.full(14, x), np.linspace(60, 160, 14), np.full(14, 2.0)])
        extra = {"track_id": track, **({PLACED: placed} if placed is not None else {})}
        return self.project.add_instance(Instance(self.frame(index).id, "lsp14", kps, bbox=(x - 15, 50, 30, 120),
                                                  origin=origin, model_id=model_id, score=0.6,
                                                  joint_scores=np.full(14, 0.6), extra=extra))

    def person(self, index, track):
        people = [i for i in self.project.instances(self.frame(index).id) if track_of(i) == track]
        assert len(people) <= 1, people
        return people[0] if people else None

    def show(self, qtbot, index, track=None):
        """Go to the frame and select ``track``'s person there (as a click on a joint does)."""
        self.window._go_frame(self.frame(index).id)
        if track is not None:
            self.window.select_joint(self.person(index, track).id, 0)
        qtbot.waitUntil(lambda: self.window.seek_bar.isVisible())

    def tracks(self):
        return {t: [i for i, _ in people] for t, people in tracked_people(self.project, self.source).items()}


@pytest.fixture
def video(window, qtbot):
    """Walkers #1 and #2 on frames 0-19, #3 on frames 24-29, as a model run over the video leaves them."""
    v = Video(window)
    for index in range(20):
        v.walker(index, 1, 80 + 2 * index)
        v.walker(index, 2, 260 - 2 * index)
    for index in range(24, 30):
        v.walker(index, 3, 150)
    window.undo_stack.clear()
    return v


def pick(monkeypatch, track):
    """The user picks ``#track`` in the list of the video's ids."""
    def choose(parent, title, label, items, *args, **kwargs):
        return next(i for i in items if i.startswith(f"#{track} ")), True
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", staticmethod(choose))


def undo_and_redo_exactly(window, qtbot, before, after):
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    assert same(snapshot(window.project), before)
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier | Mod.ShiftModifier)
    assert same(snapshot(window.project), after)


def test_the_timeline_shows_each_id_and_a_click_goes_to_its_frame_and_selects_it(window, video, qtbot):
    video.show(qtbot, 5)
    timeline = window.seek_bar.timeline
    qtbot.waitUntil(lambda: timeline.isVisible() and {r.track for r in timeline.rows} == {1, 2, 3})
    rows = {r.track: r for r in timeline.rows}
    assert rows[1].segments == [(0, 19)] and rows[3].segments == [(24, 29)]
    assert timeline.lanes == 2 and rows[3].lane == rows[1].lane  # #3 comes after #1 ends: same lane
    assert timeline.height() <= 92 and window.canvas.height() > 350  # the canvas keeps its room at 1366x768
    x, y = timeline.frame_x(27), timeline.row_height() * rows[3].lane + timeline.row_height() // 2 + 1
    qtbot.mouseClick(timeline, LEFT, pos=QtCore.QPoint(int(round(x)), y))
    assert window.project.frame(window.current_frame_id).index == 27
    assert track_of(window.project.instance(window.selected[0])) == 3 and timeline.selected_track == 3
    # the click selected a walker for the track tools, not a joint for the arrow keys: Right steps
    # to the next frame and moves nothing (it used to nudge the walker's first joint into an edit)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_Right)
    assert window.project.frame(window.current_frame_id).index == 28
    assert same(snapshot(window.project), before) and window.undo_stack.count() == 0
    qtbot.keyClick(window, Key.Key_Left)
    assert window.project.frame(window.current_frame_id).index == 27
    # a joint the user picks is the arrow keys' again
    video.show(qtbot, 27, track=3)
    qtbot.keyClick(window, Key.Key_Right)
    assert window.undo_stack.count() == 1 and video.person(27, 3).keypoints[0, 0] == 151
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    # zoomed in on the left, a click on #3 (at x 150) brings the walker on screen
    window._go_frame(video.frame(0).id)
    window.canvas.view.setRange(xRange=(0, 100), yRange=(0, 80), padding=0)
    qtbot.mouseClick(timeline, LEFT, pos=QtCore.QPoint(int(round(x)), y))
    (x0, x1), (y0, y1) = window.canvas.view.viewRange()
    assert x0 <= 150 <= x1 and y0 <= 110 <= y1 and x1 - x0 == pytest.approx(100, rel=0.05)  # panned, not zoomed out
    # between the segments of one lane is nobody: a click there changes nothing
    qtbot.mouseClick(timeline, LEFT, pos=QtCore.QPoint(int(round(timeline.frame_x(60))), y))
    assert window.project.frame(window.current_frame_id).index == 27
    # a new id appears on the timeline once the edit is in
    video.walker(40, 7, 100)
    qtbot.waitUntil(lambda: 7 in {r.track for r in timeline.rows})


def test_x_swaps_two_ids_from_this_frame_on_in_one_undo_step(window, video, qtbot, monkeypatch):
    video.show(qtbot, 10, track=1)
    pick(monkeypatch, 2)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_X)
    assert window.undo_stack.count() == 1
    assert video.person(5, 1).keypoints[0, 0] == 90 and video.person(15, 1).keypoints[0, 0] == 230  # #2's walker
    assert video.person(15, 2).keypoints[0, 0] == 110
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))


def test_m_merges_a_track_and_refuses_one_that_shares_frames_naming_them(window, video, qtbot, monkeypatch):
    video.show(qtbot, 3, track=1)
    pick(monkeypatch, 2)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_M)
    message = window.statusBar().currentMessage()
    assert "Cannot merge #2 into #1" in message and "frames 0, 1, 2" in message and "12 more" in message
    assert window.undo_stack.count() == 0 and same(snapshot(window.project), before)
    offered = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        staticmethod(lambda parent, title, label, items, *a, **k: (offered.extend(items), ("", False))[1]))
    trigger(window, "merge_tracks")  # what the list offers: the id that can join first, the one that cannot says so
    assert offered == ["#3  (frames 24-29, 6 people)", "#2  (frames 0-19, 20 people; shares 20 frames: cannot merge)"]
    pick(monkeypatch, 3)
    trigger(window, "merge_tracks")
    assert video.tracks() == {1: [*range(20), *range(24, 30)], 2: list(range(20))}
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))


def test_s_splits_the_track_here_under_a_new_id(window, video, qtbot):
    video.show(qtbot, 12, track=2)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_S)
    assert video.tracks()[2] == list(range(12)) and video.tracks()[4] == list(range(12, 20))
    assert "from there on #4" in window.statusBar().currentMessage()
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))


def test_shift_del_deletes_a_whole_track_and_ctrl_z_brings_back_the_corrected_people(window, video, qtbot):
    corrected = video.person(8, 1)
    window.project.update_instance(corrected.id, origin="manual", extra={**corrected.extra, PLACED: [0]})
    video.show(qtbot, 8, track=1)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_Delete, Mod.ShiftModifier)
    assert 1 not in video.tracks() and video.tracks()[2] == list(range(20))
    assert "1 of them yours" in window.statusBar().currentMessage()
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    assert window.project.instance(corrected.id).origin == "manual"


def test_i_interpolates_between_the_corrected_frames_around_here(window, video, qtbot):
    for index, x in ((30, 100), (36, 160)):
        video.walker(index, 5, x, origin="manual", placed=list(range(14)))
    video.walker(33, 5, 400)  # the model's wrong guess between them
    window.undo_stack.clear()
    video.show(qtbot, 33, track=5)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_I)
    for index in range(31, 36):
        person = video.person(index, 5)
        assert person.keypoints[4, 0] == pytest.approx(100 + 10 * (index - 30))
        assert person.origin == "predicted" and person.model_id == INTERPOLATION
    assert window.undo_stack.count() == 1
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))
    # a frame with no corrected frame after it: said, nothing changed
    video.show(qtbot, 15, track=1)
    qtbot.keyClick(window, Key.Key_I)
    assert "needs a frame corrected by hand" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 1


def test_shift_e_carries_a_correction_to_the_neighbouring_frames(window, video, qtbot, monkeypatch, tiny_model):
    window.model_panel.add_model(tiny_model)
    assert window.model_panel.takes_hints
    fixed = video.person(10, 1)
    kps = fixed.keypoints.copy()
    kps[0, :2] = (110.0, 55.0)
    window.project.update_instance(fixed.id, keypoints=kps, origin="manual", extra={**fixed.extra, PLACED: [0]})
    window.undo_stack.clear()
    monkeypatch.setattr(QtWidgets.QInputDialog, "getInt", staticmethod(lambda *a, **k: (2, True)))
    trigger(window, "carry_frames")
    assert window.carry_frames == 2
    video.show(qtbot, 10, track=1)
    before = snapshot(window.project)
    qtbot.keyClick(window, Key.Key_E, Mod.ShiftModifier)
    assert "carry the correction of #1 to frames 8-12" in window.statusBar().currentMessage().lower()
    for index in (8, 9, 11, 12):  # the head top goes along with the walker, 2 px a frame
        person = video.person(index, 1)
        assert person.keypoints[0, :2] == pytest.approx((110.0 + 2 * (index - 10), 55.0))
        assert person.origin == "predicted" and person.extra["carried"]["from"] == 10
    assert video.person(13, 1).keypoints[0, 1] == 60.0  # beyond the 2 frames: as it was
    undo_and_redo_exactly(window, qtbot, before, snapshot(window.project))


def test_carry_with_a_model_that_takes_no_hints_says_so_and_does_nothing(window, video, qtbot, tmp_path):
    window.model_panel.add_model(make_model_folder(tmp_path / "deeppose-tiny", name="deeppose-lite"))
    assert not window.model_panel.takes_hints
    fixed = video.person(10, 1)
    window.project.update_instance(fixed.id, origin="manual", extra={**fixed.extra, PLACED: [0]})
    window.undo_stack.clear()
    video.show(qtbot, 10, track=1)
    before = snapshot(window.project)
    trigger(window, "carry_correction")
    assert "takes no hints" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 0 and same(snapshot(window.project), before)


def test_track_tools_say_what_they_need(window, video, qtbot):
    window._go_row(0)  # an image, not the video
    window.select_joint(window.project.instances(window.current_frame_id)[0].id, 0)
    trigger(window, "split_track")
    assert "this frame is an image" in window.statusBar().currentMessage()
    video.show(qtbot, 3)
    window.selected = None
    for name in ("swap_tracks", "merge_tracks", "split_track", "delete_track", "interpolate_track", "carry_correction"):
        trigger(window, name)
        assert window.statusBar().currentMessage().startswith("First click a joint of the walker"), name
        if name == "swap_tracks":  # a sentence (it read "to swap the id of first")
            assert window.statusBar().currentMessage() == "First click a joint of the walker whose id to swap."
    video.show(qtbot, 24, track=3)
    trigger(window, "split_track")
    assert "starts at frame 24" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 0


def test_f1_lists_the_track_keys(window):
    keys = dict(window.shortcut_table())
    for text, key in (("Swap this person's track id with another from this frame on", "X"),
                      ("Merge another track into this person's", "M"), ("Delete this person's whole track (every frame)", "Shift+Del"),
                      ("Interpolate this track between the corrected frames around here", "I")):
        assert keys[text] == key
    assert any(k == "Shift+E" and "Carry" in t for t, k in keys.items())
    assert any(k == "S" and "Split" in t for t, k in keys.items())


def test_esc_drops_the_walker_and_the_timeline_stops_outlining_its_track(window, video, qtbot):
    video.show(qtbot, 5, track=1)
    timeline = window.seek_bar.timeline
    assert timeline.selected_track == 1
    qtbot.keyClick(window, Key.Key_Escape)
    assert window.selected is None and timeline.selected_track is None


def test_the_track_messages_read_as_sentences(window, video, qtbot, monkeypatch):
    """One walker seen on one frame is '1 person' on 'frame 40' (not '1 people', 'frames 40-40'),
    and an undone swap says where it was made without 'on on'."""
    video.walker(40, 7, 100)
    offered = []

    def choose(parent, title, label, items, *args, **kwargs):
        offered.extend(items)
        return next(i for i in items if i.startswith("#7 ")), True
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", staticmethod(choose))
    video.show(qtbot, 5, track=1)
    qtbot.keyClick(window, Key.Key_M)  # #7 (frame 40) into #1 (frames 0-19)
    assert "#7  (frame 40, 1 person)" in offered and "#3  (frames 24-29, 6 people)" in offered
    assert window.statusBar().currentMessage().startswith("Merge track #7 into #1 (1 person);")
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        staticmethod(lambda parent, title, label, items, *a, **k: (items[0], True)))  # #2
    video.show(qtbot, 10, track=1)
    qtbot.keyClick(window, Key.Key_X)
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    message = window.statusBar().currentMessage()
    assert message.startswith("Undid swap tracks #1 and #2 from frame 10 onward") and " on on " not in message


def test_a_walker_added_with_n_gets_an_id_of_their_own_that_merges_into_the_walkers_track(window, video, qtbot, monkeypatch):
    """A person the run missed on frame 22, added with N and a drag, is a track of their own
    (after every id of the video), so M can join them to the walker seen on frames 24-29."""
    from test_gui import _drag

    video.show(qtbot, 22)
    window.canvas.view.setRange(xRange=(0, 400), yRange=(0, 300), padding=0)
    qtbot.keyClick(window, Key.Key_N)
    _drag(window, qtbot, (130, 50), (170, 170))
    added = video.person(22, 4)
    assert added is not None and added.origin == "manual" and window.undo_stack.count() == 1
    qtbot.waitUntil(lambda: 4 in {r.track for r in window.seek_bar.timeline.rows})
    assert window.selected[0] == added.id  # selected as added: M needs no click first
    pick(monkeypatch, 3)
    qtbot.keyClick(window, Key.Key_M)
    assert video.tracks()[4] == [22, *range(24, 30)] and 3 not in video.tracks()
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    qtbot.keyClick(window, Key.Key_Z, Mod.ControlModifier)
    assert video.person(22, 4) is None and video.tracks()[3] == list(range(24, 30))


def test_adding_walkers_keeps_the_picture_still_until_the_timeline_needs_more_room(window, video, qtbot):
    """Each walker added with N on a frame two walkers share is a new id, so a new timeline lane;
    the timeline grew with each lane and the picture moved under the cursor between two people
    (a window walk). It grows three lanes at a time now: the third lane costs no room."""
    from test_gui import _drag

    window.resize(1366, 768)
    video.show(qtbot, 5)
    window.canvas.view.setRange(xRange=(0, 400), yRange=(0, 300), padding=0)
    timeline = window.seek_bar.timeline
    assert timeline.lanes == 2
    before = (timeline.height(), window.canvas.height())
    qtbot.keyClick(window, Key.Key_N)
    _drag(window, qtbot, (330, 40), (380, 160))
    qtbot.waitUntil(lambda: timeline.lanes == 3)
    qtbot.wait(50)
    assert (timeline.height(), window.canvas.height()) == before
    qtbot.keyClick(window, Key.Key_N)
    _drag(window, qtbot, (20, 40), (60, 160))
    qtbot.waitUntil(lambda: timeline.lanes == 4)
    assert before[0] < timeline.height() <= 92


def test_the_swap_list_offers_the_walkers_on_this_frame_first(window, video, qtbot, monkeypatch):
    """X preselected #1, whose frames were far from here: Enter swapped the wrong walker. The ids
    on this frame come first, then the nearest in time."""
    offered = []

    def choose(parent, title, label, items, *args, **kwargs):
        offered.extend(items)
        return items[0], True

    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", staticmethod(choose))
    video.show(qtbot, 25, track=3)  # #3 on frames 24-29; #1 and #2 on 0-19
    video.walker(25, 7, 300)  # another walker on this frame
    qtbot.keyClick(window, Key.Key_X)
    assert offered[0].startswith("#7 ") and {o.split()[0] for o in offered[1:]} == {"#1", "#2"}
