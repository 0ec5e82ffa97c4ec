"""The person detector of issue #27: a small CenterNet-style network ("objects as points") trained
here from LSP, LSPET and COCO person boxes, with scenes made by mosaic and copy-paste.

    model.py     the network, its loss and its decoding (torch)
    scenes.py    person boxes from the datasets and the training scenes made of them (numpy, cv2)
    train.py     the trainer: one thread, checkpoints, exact resume, JSON-lines progress
    weights.py   the shipped folder: weights.safetensors + detector.json, loaded without unpickling
    runtime.py   ``CenterNetPersonDetector``: an image in, person boxes out (engine/detector.py's "detector")
"""
