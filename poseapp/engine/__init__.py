"""Running models: datasets for training, losses, the trainer, checkpoints, prediction, metrics."""
