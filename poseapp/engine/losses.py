"""The losses live with the models (poseapp/models/losses.py; each model's ``loss`` picks its own);
this module keeps the old import path working."""

from poseapp.models.losses import (  # noqa: F401
    OCCLUSION_MODES, LossConfig, _occlusion_targets, coordinate_loss, heatmap_mse, part_regression_loss, recurrent_loss,
)
