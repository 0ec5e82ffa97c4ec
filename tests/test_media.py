import numpy as np
import pytest

from poseapp.core.errors import DataError
from poseapp.formats import import_source
from poseapp.media.frames import FrameLoader
from poseapp.media.images import image_size, read_image
from poseapp.media.video import VideoReader


def test_header_sizes_match_decoded_sizes(lsp_dir, coco_json):
    files = [lsp_dir / "images" / f"im{n:04d}.jpg" for n in (1, 250, 500, 1000)] + sorted(coco_json.parent.glob("*.jpg"))
    for f in files:
        image = read_image(f)
        assert image_size(f) == (image.shape[1], image.shape[0])
        assert image.dtype == np.uint8 and image.flags.c_contiguous


def test_png_size_and_unreadable_image(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((7, 11, 3), np.uint8))
    assert image_size(tmp_path / "a.png") == (11, 7)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(DataError, match="bad.jpg"):
        read_image(tmp_path / "bad.jpg")


def test_video_random_access_matches_sequential_decoding(video_path):
    reader = VideoReader(video_path, cache_size=4)
    assert (reader.info.frame_count, reader.info.width, reader.info.height) == (795, 768, 576)
    sequential = [reader.read(i).copy() for i in range(12)]
    fresh = VideoReader(video_path, cache_size=4)
    for i in (11, 3, 7, 0):
        np.testing.assert_array_equal(fresh.read(i), sequential[i])
    with pytest.raises(DataError, match="outside"):
        fresh.read(795)


def test_frame_loader_reads_folders_and_videos(project, small_lsp, video_path):
    import_source(project, small_lsp)
    import_source(project, video_path)
    loader = FrameLoader(project)
    ids = project.frame_ids()
    assert len(ids) == 6 + 795
    first = project.frame(ids[0])
    assert loader.read(first).shape == (first.height, first.width, 3)
    video_frame = project.frame(ids[-1])
    assert loader.read(video_frame).shape == (576, 768, 3)
    loader.close()


def _avi_with_claimed_length(src, dest, frames: int) -> None:
    """vtest.avi with its AVI headers (avih dwTotalFrames, strh dwLength) claiming ``frames``."""
    import struct

    data = bytearray(src.read_bytes())
    for tag, offset in ((b"avih", 16), (b"strh", 32)):
        at = data.find(tag) + 8 + offset
        data[at:at + 4] = struct.pack("<I", frames)
    dest.write_bytes(bytes(data))


def test_a_truncated_video_imports_only_the_frames_it_has(tmp_path, video_path):
    from poseapp.formats import import_source
    from poseapp.media.video import VideoReader
    from poseapp.store import Project

    cut = tmp_path / "cut.avi"
    cut.write_bytes(video_path.read_bytes()[: video_path.stat().st_size // 3])
    with Project.open(tmp_path / "p.poseapp", create=True) as project:
        import_source(project, cut)
        count = project.frame_count()
    assert 100 < count < 795  # the header still claims 795
    reader = VideoReader(cut)
    assert reader.read(count - 1).shape == (576, 768, 3)  # the last imported frame decodes


def test_a_video_claiming_two_billion_frames_is_measured_not_believed(tmp_path, video_path):
    from poseapp.media.video import probe_video

    liar = tmp_path / "liar.avi"
    _avi_with_claimed_length(video_path, liar, 2**31)
    assert probe_video(liar).frame_count <= 795
