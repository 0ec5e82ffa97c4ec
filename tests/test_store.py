import json
import sqlite3

import numpy as np
import pytest

from poseapp.core.errors import ProjectError
from poseapp.core.skeleton import COCO17, LSP14
from poseapp.store import Instance, Project
from poseapp.store import schema


def _frames(project, n=5, kind="folder", path="/data/a"):
    src = project.add_source(kind, path)
    return project.add_frames(src.id, [(i, f"im{i}.jpg", 100, 80, None, {}) for i in range(n)])


def _kps(k=14, v=2):
    kps = np.zeros((k, 3))
    kps[:, 0] = np.arange(k) * 3.5
    kps[:, 1] = np.arange(k) * 2.25
    kps[:, 2] = v
    return kps


def test_new_project_has_current_schema_and_reopens(tmp_path):
    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as p:
        assert p.schema_version == schema.current_version()
        p.ensure_skeleton(LSP14)
        _frames(p)
    with Project.open(path) as p:
        assert p.frame_count() == 5
        assert p.skeleton("lsp14") == LSP14


def test_instance_edits_round_trip_and_emit_events(project):
    project.ensure_skeleton(LSP14)
    fid = _frames(project)[0]
    seen = []
    for name in ("instance_added", "instance_changed", "instance_removed", "frame_state_changed"):
        getattr(project.events, name).connect(lambda *a, n=name: seen.append(n))
    inst = project.add_instance(Instance(fid, "lsp14", _kps(), bbox=(1, 2, 30, 40)))
    assert project.frame(fid).state == "edited"
    moved = project.set_keypoint(inst.id, 3, 10.5, 20.25, v=1)
    assert moved.keypoints[3].tolist() == [10.5, 20.25, 1.0]
    assert project.instance(inst.id).keypoints[3].tolist() == [10.5, 20.25, 1.0]
    old = project.delete_instance(inst.id)
    assert project.instances(fid) == []
    assert project.frame(fid).state == "unlabelled"
    restored = project.add_instance(old)  # undo of a delete keeps the id
    assert restored.id == inst.id
    np.testing.assert_array_equal(project.instance(inst.id).keypoints, moved.keypoints)
    assert seen[:4] == ["frame_state_changed", "instance_added", "instance_changed", "frame_state_changed"]
    assert "instance_removed" in seen


def test_predicted_instance_marks_only_unlabelled_frames(project):
    project.ensure_skeleton(LSP14)
    a, b = _frames(project, 2)
    project.add_instance(Instance(a, "lsp14", _kps(), origin="predicted", model_id="m1", joint_scores=np.ones(14)))
    assert project.frame(a).state == "predicted"
    project.set_frame_state(b, "reviewed")
    project.add_instance(Instance(b, "lsp14", _kps(), origin="predicted"))
    assert project.frame(b).state == "reviewed"


def test_bad_instances_are_refused_and_change_nothing(project):
    project.ensure_skeleton(LSP14)
    fid = _frames(project)[0]
    with pytest.raises(ProjectError, match="14"):
        project.add_instance(Instance(fid, "lsp14", _kps(k=17)))
    with pytest.raises(ValueError, match="NaN"):
        Instance(fid, "lsp14", np.full((14, 3), np.nan))
    with pytest.raises(ValueError, match="visibility"):
        Instance(fid, "lsp14", _kps(v=3))
    with pytest.raises(ProjectError, match="no frame"):
        project.add_instance(Instance(9999, "lsp14", _kps()))
    assert project.instance_count() == 0


def test_transaction_is_all_or_nothing(project):
    project.ensure_skeleton(LSP14)
    fid = _frames(project)[0]
    with pytest.raises(RuntimeError):
        with project.transaction():
            project.add_instance(Instance(fid, "lsp14", _kps()))
            raise RuntimeError("boom")
    assert project.instance_count() == 0
    assert project.frame(fid).state == "unlabelled"


def test_step_frame_crosses_sources_in_both_directions(project):
    a = _frames(project, 3, path="/data/a")
    b = _frames(project, 2, path="/data/b")
    project.add_source("folder", "/data/empty")
    c = _frames(project, 1, path="/data/c")
    order = a + b + c
    for i, fid in enumerate(order):
        nxt = project.step_frame(fid, 1)
        prev = project.step_frame(fid, -1)
        assert (nxt.id if nxt else None) == (order[i + 1] if i + 1 < len(order) else None)
        assert (prev.id if prev else None) == (order[i - 1] if i > 0 else None)
    assert project.step_frame(a[0], 4).id == order[4]
    assert project.frame_ids() == order


def test_same_category_id_with_other_keypoints_gets_a_fresh_id(project):
    first = project.ensure_category(LSP14.to_coco_category(1), LSP14)
    second = project.ensure_category(COCO17.to_coco_category(1), COCO17)
    again = project.ensure_category(COCO17.to_coco_category(1), COCO17)
    assert (first, second, again) == (1, 2, 2)
    assert [c["id"] for c, _ in project.categories()] == [1, 2]


def test_missing_file_is_an_error_not_a_new_project(tmp_path):
    with pytest.raises(ProjectError, match="no such project file"):
        Project.open(tmp_path / "nope.poseapp")
    assert not (tmp_path / "nope.poseapp").exists()


@pytest.mark.parametrize("content", [b"", b"this is not a database at all", b"\x00" * 4096])
def test_unreadable_project_file_is_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "bad.poseapp"
    path.write_bytes(content)
    with pytest.raises(ProjectError) as info:
        Project.open(path)
    assert str(path) in str(info.value) and "not" in str(info.value)
    assert path.read_bytes() == content


def test_damaged_database_is_reported(tmp_path):
    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as p:
        _frames(p)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged|not a poseapp|cannot be read"):
        Project.open(path)


def test_a_refused_truncated_or_empty_project_is_left_without_new_files_beside_it(tmp_path):
    whole = tmp_path / "whole.poseapp"
    with Project.open(whole, create=True) as p:
        _frames(p)
    data = whole.read_bytes()
    for name, content, problem in (("empty.poseapp", b"", "an empty file"), ("half.poseapp", data[: len(data) // 2], "cannot be read"),
                                   ("head.poseapp", data[:100], "cannot be read")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ProjectError, match=problem):
            Project.open(path)
        assert sorted(f.name for f in tmp_path.iterdir() if f.name.startswith(name)) == [name]
        assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(ProjectError, match="not a poseapp project"):
        Project.open(path)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.poseapp"
    Project.open(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (json.dumps(99),))
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="newer.*update poseapp"):
        Project.open(path)
    assert path.read_bytes() == before  # refused before WAL mode could rewrite its header
    with pytest.raises(ProjectError, match="schema version 99 and this poseapp reads .*; update poseapp"):
        Project.open(path, read_only=True)
    assert path.read_bytes() == before


def test_migrations_run_forward_in_order(tmp_path, monkeypatch):
    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as p:
        p.ensure_skeleton(LSP14)
        _frames(p, 2)
    ran = []

    def v1_to_v2(db):
        ran.append(1)
        db.execute("ALTER TABLE frames ADD COLUMN note TEXT DEFAULT ''")

    monkeypatch.setitem(schema.MIGRATIONS, 1, v1_to_v2)
    with Project.open(path) as p:
        assert p.schema_version == 2
        assert p.frame_count() == 2
    with Project.open(path) as p:  # already migrated: nothing runs twice
        assert p.schema_version == 2
    assert ran == [1]
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(frames)")]
    assert "note" in cols


def test_failed_migration_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "p.poseapp"
    Project.open(path, create=True).close()

    def broken(db):
        db.execute("ALTER TABLE frames ADD COLUMN half TEXT")
        raise sqlite3.OperationalError("migration failed halfway")

    monkeypatch.setitem(schema.MIGRATIONS, 1, broken)
    with pytest.raises(ProjectError):
        Project.open(path)
    monkeypatch.delitem(schema.MIGRATIONS, 1)
    with Project.open(path) as p:
        assert p.schema_version == 1
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(frames)")]
    assert "half" not in cols


def test_wal_mode_and_full_sync(project):
    assert project._query_one("PRAGMA journal_mode")[0] == "wal"
    assert project._query_one("PRAGMA synchronous")[0] == 2  # FULL


def test_save_copy_is_complete_and_independent(project, tmp_path):
    project.ensure_skeleton(LSP14)
    fid = _frames(project)[0]
    inst = project.add_instance(Instance(fid, "lsp14", _kps()))
    with pytest.raises(ProjectError, match="does not exist"):  # a mistyped folder is not made
        project.save_copy(tmp_path / "copies" / "copy.poseapp")
    (tmp_path / "copies").mkdir()
    copy_path = project.save_copy(tmp_path / "copies" / "copy.poseapp")
    project.set_keypoint(inst.id, 0, 99, 99)  # the copy must not see later edits
    with Project.open(copy_path) as copy:
        assert copy.instance(inst.id).keypoints[0, 0] == 0
        assert copy.frame_count() == 5
    assert sorted(p.name for p in (tmp_path / "copies").iterdir()) == ["copy.poseapp"]
    with pytest.raises(ProjectError, match="cannot replace"):
        project.save_copy(project.path)


def test_iter_instances_pages_in_display_order(project):
    import random

    project.ensure_skeleton(LSP14)
    later = _frames(project, 7, path="/data/b")
    earlier_source = project.add_source("folder", "/data/a")  # higher id: listed after /data/b
    earlier = project.add_frames(earlier_source.id, [(i, f"{i}.jpg", 10, 10, None, {}) for i in range(5)])
    rng = random.Random(0)
    for fid in rng.sample((later + earlier) * 3, 30):
        project.add_instance(Instance(fid, "lsp14", _kps(), origin=rng.choice(["manual", "predicted"])))
    keys = []
    for inst in project.iter_instances(batch=4):  # several pages, boundaries inside frames
        frame = project.frame(inst.frame_id)
        keys.append((frame.source_id, frame.index, inst.id))
    assert len(keys) == 30 and keys == sorted(keys)
    manual = list(project.iter_instances(origin="manual", batch=3))
    assert len(manual) == project.instance_count("manual") and all(i.origin == "manual" for i in manual)
