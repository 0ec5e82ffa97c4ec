"""The project file's schema and its forward migrations.

``meta.schema_version`` says which schema a file has. Opening a file with an older version runs
each migration in turn inside one transaction; a newer version than this code knows is refused.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

APPLICATION_ID = 0x504F5345  # 'POSE', written to the SQLite header so a poseapp file is recognisable

SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE skeletons (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL          -- Skeleton.to_dict() as JSON
);
CREATE TABLE categories (            -- dataset categories as imported, for lossless export
    id INTEGER PRIMARY KEY,
    skeleton TEXT NOT NULL REFERENCES skeletons(name),
    definition TEXT NOT NULL          -- the category object as JSON
);
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'folder', 'video')),
    path TEXT NOT NULL UNIQUE,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE frames (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    file_name TEXT,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'unlabelled'
        CHECK (state IN ('unlabelled', 'labelled', 'predicted', 'edited', 'reviewed')),
    ext_id INTEGER,
    extra TEXT NOT NULL DEFAULT '{}',
    UNIQUE (source_id, idx)
);
CREATE INDEX frames_by_file ON frames (source_id, file_name);
CREATE INDEX frames_by_state ON frames (state);
CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    skeleton TEXT NOT NULL REFERENCES skeletons(name),
    keypoints TEXT NOT NULL,          -- JSON [[x, y, v], ...]
    bbox TEXT,                        -- JSON [x, y, w, h] or NULL
    origin TEXT NOT NULL CHECK (origin IN ('manual', 'predicted')),
    model_id TEXT,
    score REAL,
    joint_scores TEXT,
    vis_scores TEXT,
    category_id INTEGER,
    ext_id INTEGER,
    extra TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL
);
CREATE INDEX instances_by_frame ON instances (frame_id);
"""


def _create_v1(db: sqlite3.Connection) -> None:
    for statement in SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)


# MIGRATIONS[n] turns a version-n file into a version-(n+1) file. Version 0 is an empty file.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_v1}


def current_version() -> int:
    return max(MIGRATIONS) + 1
