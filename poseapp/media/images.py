"""Image files: fast size probing from the file header, and decoding to RGB arrays."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".webm", ".wmv")


def is_image_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def list_images(folder: str | os.PathLike) -> list[str]:
    """Image files below ``folder`` (recursively), as sorted relative POSIX paths."""
    root = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if is_image_file(name) and not name.startswith("."):
                found.append(Path(dirpath, name).relative_to(root).as_posix())
    return sorted(found)


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) read from the header of a JPEG or PNG, falling back to a full decode.

    Importing LSPET means sizing 10,000 images: reading headers takes a second, decoding a minute.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(26)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                width, height = struct.unpack(">II", head[16:24])
                return int(width), int(height)
            if head[:2] == b"\xff\xd8":
                size = _jpeg_size(handle)
                if size is not None:
                    return size
    except OSError as exc:
        raise DataError(path, f"cannot read the image: {exc.strerror}") from exc
    image = read_image(path)
    return image.shape[1], image.shape[0]


def _jpeg_size(handle) -> tuple[int, int] | None:
    handle.seek(2)
    while True:
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        while code == 0xFF:  # fill bytes
            code = handle.read(1)[0]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            data = handle.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack(">HH", data[1:5])
            return int(width), int(height)
        handle.seek(length - 2, os.SEEK_CUR)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file to an H x W x 3 uint8 RGB array; a clear error when it cannot."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file not found")
    data = np.fromfile(path, dtype=np.uint8)  # works for non-ASCII paths, unlike cv2.imread
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DataError(path, "not a readable image (corrupt or unsupported format)")
    return np.ascontiguousarray(image[:, :, ::-1])


def write_image(path: str | os.PathLike, image_rgb: np.ndarray) -> None:
    """Encode an RGB array by the path's suffix and write it atomically."""
    import cv2

    from poseapp.core.atomic import write_bytes_atomic

    path = Path(path)
    ok, data = cv2.imencode(path.suffix or ".png", np.ascontiguousarray(image_rgb[:, :, ::-1]))
    if not ok:
        raise DataError(path, "OpenCV cannot encode an image with this suffix")
    write_bytes_atomic(path, data.tobytes())
