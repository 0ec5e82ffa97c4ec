"""Training and evaluation samples: people with keypoints, from datasets or projects (numpy only)."""

from poseapp.data.samples import PoseSample, load_samples, parse_data_spec
from poseapp.data.splits import LSP_VALIDATION, split_samples

__all__ = ["PoseSample", "load_samples", "parse_data_spec", "split_samples", "LSP_VALIDATION"]
