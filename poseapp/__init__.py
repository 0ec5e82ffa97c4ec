"""poseapp: a desktop workbench for 2D human pose estimation.

Package layout (one job per subpackage):
  core     skeletons, errors, events, atomic file writes (no Qt, no torch)
  store    the SQLite project file: schema, migrations, edits
  formats  dataset import/export: COCO, LSP/LSPET .mat, YOLO-pose
  media    reading images, folders and video frames (OpenCV)
  cli      the `poseapp` command and its subcommands
  gui      the Qt application (the only place that imports PySide6/pyqtgraph)
"""

__version__ = "0.1.0"
