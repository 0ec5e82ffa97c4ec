"""#15 item 9: CVAT XML with skeleton labels ("CVAT for images 1.1"; tracks as in "CVAT for video
1.1"), written by the test in CVAT's layout from the real COCO sample."""

import json
import xml.etree.ElementTree as ET

import pytest

from poseapp.core.errors import DataError
from poseapp.formats import detect_format, export_project, import_source
from poseapp.store import Project


def _cvat_xml(coco_json, track_first_two=False) -> str:
    data = json.loads(coco_json.read_text())
    cat = data["categories"][0]
    joints = cat["keypoints"]
    svg = "".join(f'<line data-type="edge" data-node-from="{a}" data-node-to="{b}"></line>' for a, b in cat["skeleton"])
    svg += "".join(f'<circle r="1.5" data-type="element node" data-element-id="{j + 1}" data-node-id="{j + 1}" '
                   f'data-label-name="{n}" cx="0" cy="0"></circle>' for j, n in enumerate(joints))
    labels = f"<label><name>person</name><color>#ff0000</color><type>skeleton</type><attributes></attributes><svg>{svg.replace('<', '&lt;').replace('>', '&gt;')}</svg></label>"
    labels += "".join(f"<label><name>{n}</name><type>points</type><attributes></attributes><parent>person</parent></label>" for n in joints)
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta><task><id>7</id>'
           f'<name>coco sample</name><labels>{labels}</labels></task></meta>']

    def points(ann, extra=""):
        k = ann["keypoints"]
        return "".join(
            f'<points label="{n}" source="manual" occluded="{int(k[3 * j + 2] == 1)}" outside="{int(k[3 * j + 2] == 0)}" '
            f'points="{k[3 * j]:.2f},{k[3 * j + 1]:.2f}" z_order="0"{extra}></points>' for j, n in enumerate(joints))

    frames = {im["id"]: n for n, im in enumerate(data["images"])}
    anns = [a for a in data["annotations"] if a["num_keypoints"] > 0]
    tracked = anns[:2] if track_first_two else []
    for n, im in enumerate(data["images"]):
        out.append(f'<image id="{n}" name="{im["file_name"]}" width="{im["width"]}" height="{im["height"]}">')
        out += [f'<skeleton label="person" source="manual" z_order="0">{points(a)}</skeleton>'
                for a in anns if a["image_id"] == im["id"] and a not in tracked]
        out.append("</image>")
    if tracked:
        out.append('<track id="0" label="person" source="manual">')
        key = ' keyframe="1"'
        out += [f'<skeleton frame="{frames[a["image_id"]]}" keyframe="1" outside="0" z_order="0">{points(a, key)}</skeleton>'
                for a in tracked]
        out.append("</track>")
    out.append("</annotations>")
    return "".join(out)


def _kps(project):
    return sorted((project.frame(i.frame_id).file_name, i.keypoints.round(2).tolist()) for i in project.iter_instances())


def test_cvat_skeletons_and_tracks_import_like_the_coco_original(project, coco_json, tmp_path):
    xml = tmp_path / "annotations.xml"
    xml.write_text(_cvat_xml(coco_json, track_first_two=True))
    assert detect_format(xml) == "cvat"
    summary = import_source(project, xml, image_root=coco_json.parent)
    assert summary.instances == 12
    assert {i.skeleton for i in project.iter_instances()} == {"coco17"}
    assert sum("cvat_track" in i.extra for i in project.iter_instances()) == 2
    with Project.open(tmp_path / "coco.poseapp", create=True) as original:
        import_source(original, coco_json)
        expected = [(f, k) for f, k in _kps(original) if any(v[2] for v in k)]
    assert _kps(project) == expected  # same x, y and v, person by person


def test_cvat_export_round_trips_with_its_tracks(project, coco_json, tmp_path):
    xml = tmp_path / "annotations.xml"
    xml.write_text(_cvat_xml(coco_json, track_first_two=True))
    import_source(project, xml, image_root=coco_json.parent)
    out = tmp_path / "export.xml"
    counts = export_project(project, "cvat", out)
    assert counts == {"images": 4, "skeletons": 10, "tracks": 1}
    root = ET.parse(out).getroot()
    assert [t.get("id") for t in root.findall("track")] == ["0"]
    with Project.open(tmp_path / "back.poseapp", create=True) as back:
        import_source(back, out, image_root=coco_json.parent)
        assert _kps(back) == _kps(project)


def test_bad_cvat_point_is_named(project, coco_json, tmp_path):
    xml = tmp_path / "annotations.xml"
    xml.write_text(_cvat_xml(coco_json).replace('label="nose"', 'label="snout"', 1))
    with pytest.raises(DataError, match="'snout' is not a joint"):
        import_source(project, xml, image_root=coco_json.parent)
    assert project.frame_count() == 0
