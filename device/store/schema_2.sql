-- awareness-kit store, schema version 2: the small side tables. Every row names its subject, so that
-- everything about one person (derived data included) can be found and erased.
CREATE TABLE IF NOT EXISTS tracks (
    subject     TEXT PRIMARY KEY,            -- track:7
    first_seen  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    dwell_s     REAL,
    looked      INTEGER,                     -- times they looked at the camera
    trajectory  TEXT,                        -- JSON [[ts, x, y], ...]
    signature   TEXT                         -- JSON {"clothes": [...], "face": [...]}: for re-identification
);
CREATE TABLE IF NOT EXISTS visitors (
    subject     TEXT PRIMARY KEY,            -- visitor:3f2a...
    first_seen  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    visits      INTEGER NOT NULL DEFAULT 1,
    details     TEXT NOT NULL DEFAULT '{}'   -- JSON: what the phone revealed
);
CREATE TABLE IF NOT EXISTS snapshots (
    id          INTEGER PRIMARY KEY,
    ts          REAL NOT NULL,
    subject     TEXT,                        -- track:7
    file        TEXT NOT NULL,               -- relative to the data directory
    blurred     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_subject ON snapshots (subject);
