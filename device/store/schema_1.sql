-- awareness-kit store, schema version 1: observations. See device/observations.py.
CREATE TABLE IF NOT EXISTS observations (
    id          INTEGER PRIMARY KEY,
    ts          REAL    NOT NULL,            -- seconds since 1970 (UTC)
    source      TEXT    NOT NULL,            -- camera, microphone, sensors, phone
    kind        TEXT    NOT NULL,            -- a name in the kind registry
    subject     TEXT,                        -- who it is about (track:7, visitor:3f...), or NULL
    value       TEXT    NOT NULL,            -- JSON object
    confidence  REAL
);
CREATE INDEX IF NOT EXISTS observations_kind_ts ON observations (kind, ts);
CREATE INDEX IF NOT EXISTS observations_ts ON observations (ts);
CREATE INDEX IF NOT EXISTS observations_subject ON observations (subject) WHERE subject IS NOT NULL;
