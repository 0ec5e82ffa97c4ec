"""The model zoo: the four seed architectures behind one registry with typed configs.

    available_models()            -> ['recurrent', 'recurrent-lite', 'part_regression', ...]
    build_model('recurrent-lite') -> a RecurrentPoseNet with the lite config
"""

# Importing the modules registers them, in this order (the order available_models() lists).
from poseapp.models import recurrent, part_regression, deeppose, cnn_lstm  # noqa: F401, I001
from poseapp.models.base import PoseModel
from poseapp.models.layers import count_parameters, normalise_images
from poseapp.models.registry import (
    available_models, build_model, config_from_dict, config_to_dict, make_config, resolve,
)

__all__ = [
    "PoseModel", "available_models", "build_model", "make_config", "resolve", "config_to_dict", "config_from_dict",
    "count_parameters", "normalise_images",
]
