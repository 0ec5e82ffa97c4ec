"""The project file: one SQLite database holding sources, frames and person instances."""

from poseapp.store.project import Project
from poseapp.store.records import FRAME_STATES, Frame, Instance, Source

__all__ = ["Project", "Frame", "Instance", "Source", "FRAME_STATES"]
