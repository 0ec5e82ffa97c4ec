"""#15 item 3: importing the same file again must not double every person."""

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import import_source
from poseapp.store import Project


def test_reimporting_the_same_coco_file_skips_what_is_there(project, coco_json):
    import_source(project, coco_json)
    summary = import_source(project, coco_json)
    assert (project.frame_count(), project.instance_count()) == (4, 14)
    assert summary.instances == 0
    assert any("14 annotation(s) were already in the project" in n for n in summary.notes)


def test_reimport_can_be_refused_or_forced(project, coco_json):
    import_source(project, coco_json)
    with pytest.raises(DataError, match="already in the project"):
        import_source(project, coco_json, duplicates="refuse")
    assert project.instance_count() == 14
    import_source(project, coco_json, duplicates="add")
    assert project.instance_count() == 28


def test_reimporting_lsp_without_annotation_ids_skips_identical_people(project, small_lsp):
    import_source(project, small_lsp)
    import_source(project, small_lsp)
    assert project.instance_count() == 6


def test_cli_reimport_says_what_it_skipped(tmp_path, coco_json, capsys):
    path = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(path)]) == 0
    assert main(["import", str(coco_json), "--project", str(path)]) == 0
    out = capsys.readouterr().out
    assert "already in the project" in out and "14 instances" in out.splitlines()[-1]
    with Project.open(path) as project:
        assert project.instance_count() == 14
