"""The torch side of the data pipeline: cached decoded images, random crops, codec targets.

Images are decoded once and kept in memory (LSP + LSPET: about 1 GB), so training time goes to
the model, not to JPEG decoding; a crop and its targets cost about a millisecond.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch.utils.data import Dataset

from poseapp.core.skeleton import preset
from poseapp.data.augment import AugmentConfig, make_crop
from poseapp.data.photo_augment import PhotoAugmentConfig, augment_photo
from poseapp.data.samples import PoseSample
from poseapp.media.images import read_image
from poseapp.media.video import VideoReader
from poseapp.models.losses import VISIBILITY_UNKNOWN

log = logging.getLogger(__name__)

# The visibility the dataset gives crop keypoints of joints known not to be visible but with no
# position (LSPET's flag 0). Codecs give them no target (v <= 0); the exclude-occluded loss
# teaches an empty map for them.
UNPLACED_INVISIBLE = -1.0


class ImageCache:
    """Decoded pictures of samples, image files and video frames alike. ``keep=False`` reads
    without keeping (evaluation passes over each picture once); video readers are kept either way,
    so frames read in order decode sequentially instead of seeking."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._images: dict[str, np.ndarray] = {}
        self._videos: dict[str, VideoReader] = {}

    def get(self, sample: PoseSample) -> np.ndarray:
        key = sample.image_key
        image = self._images.get(key)
        if image is None:
            if sample.video_frame is None:
                image = read_image(sample.image_path)
            else:
                reader = self._videos.get(sample.image_path)
                if reader is None:
                    reader = self._videos[sample.image_path] = VideoReader(sample.image_path, cache_size=2)
                image = reader.read(sample.video_frame)
            if self.keep:
                self._images[key] = image
        return image

    def preload(self, samples: list[PoseSample]) -> float:
        start = time.perf_counter()
        for s in sorted(samples, key=lambda s: (s.image_path, s.video_frame or 0)):
            self.get(s)
        self.close_videos()
        return time.perf_counter() - start

    def close_videos(self) -> None:
        for reader in self._videos.values():
            reader.close()
        self._videos.clear()

    def __len__(self) -> int:
        return len(self._images)


class PoseDataset(Dataset):
    """Items: (normalisable uint8 CHW crop, target array, weight array, crop keypoints K x 3)."""

    def __init__(
        self, samples: list[PoseSample], codec, size: int, augment: AugmentConfig | None, cache: ImageCache | None = None,
        seed: int = 0, skeleton=None, photo: PhotoAugmentConfig | None = None,
    ):
        if not samples:
            raise ValueError("no samples to train or evaluate on")
        self.samples = samples
        self.codec = codec
        self.size = size
        self.augment = augment
        self.cache = cache or ImageCache()
        self.seed = seed
        # augmentations for ordinary photos, on augmented (training) crops only
        self.photo = photo if photo is not None and photo.active and augment is not None else None
        self.epoch = 0  # the trainer sets it so that augmentation differs per epoch but replays on resume
        skeletons = {s.skeleton for s in samples}
        if len(skeletons) != 1:
            raise ValueError(f"samples mix skeletons {sorted(skeletons)}; train one skeleton at a time")
        # the model's skeleton (flip pairs for a mirrored crop), else the preset the samples name
        self.skeleton = skeleton or (preset(skeletons.pop()) if samples[0].skeleton in ("lsp14", "mpii16", "coco17") else None)
        self.flip_perm = self.skeleton.flip_permutation() if self.skeleton else list(range(len(samples[0].keypoints)))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        sample = self.samples[index]
        rng = np.random.default_rng((self.seed, self.epoch, index)) if self.augment is not None else None
        keypoints = sample.keypoints
        if sample.invisible or sample.visibility_unknown:
            # marked before cropping, so that a flip carries the mark to the mirrored joint
            keypoints = keypoints.copy()
            keypoints[list(sample.invisible), 2] = UNPLACED_INVISIBLE
            keypoints[list(sample.visibility_unknown), 2] = VISIBILITY_UNKNOWN
        crop, kps, _ = make_crop(
            self.cache.get(sample), keypoints, sample.bbox, self.size, self.flip_perm,
            self.augment or AugmentConfig.none(), rng,
        )
        if self.photo is not None:
            crop, kps = augment_photo(crop, kps, self.photo, rng)
        # a joint pushed out of the crop by augmentation is treated as not labelled
        outside = (kps[:, 0] < -0.5) | (kps[:, 1] < -0.5) | (kps[:, 0] > self.size - 0.5) | (kps[:, 1] > self.size - 0.5)
        kps[outside & (kps[:, 2] > 0)] = 0.0
        target, weight = self.codec.encode(kps)
        image = torch.from_numpy(crop).permute(2, 0, 1).contiguous()
        return image, torch.from_numpy(target), torch.from_numpy(weight), torch.from_numpy(kps.astype(np.float32))
