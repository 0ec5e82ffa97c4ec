"""Codecs: one object per model that owns input size, output size and target parameters, and is
used both to make training targets and to decode predictions (numpy only, no torch).

Coordinates follow the pixel-centre convention: input pixel (i, j) covers [i-0.5, i+0.5], and a
heatmap cell of stride s centred at u covers input x = (u + 0.5) * s - 0.5.
"""

from poseapp.codecs.decode import decode_heatmaps, refine_dark, refine_quarter
from poseapp.codecs.heatmap import (
    CODECS, DiskHeatmapCodec, GaussianHeatmapCodec, KeypointPartCodec, PartCascadeCodec, RegressionCodec, build_codec,
)

__all__ = [
    "CODECS", "build_codec", "GaussianHeatmapCodec", "KeypointPartCodec", "DiskHeatmapCodec", "PartCascadeCodec",
    "RegressionCodec", "decode_heatmaps", "refine_dark", "refine_quarter",
]
