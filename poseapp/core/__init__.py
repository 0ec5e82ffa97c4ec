"""Qt-free, torch-free building blocks shared by every layer."""
