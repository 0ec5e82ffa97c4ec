"""The Qt application. The only package that imports PySide6 or pyqtgraph."""
