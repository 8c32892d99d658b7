-- awareness-kit store, schema version 3: a snapshot's id is never handed out twice.
-- A picture's address is /snapshots/<id>.jpg, and /you, /data, a saved page or a shared link keep it. Without
-- AUTOINCREMENT SQLite gives a new row the highest id + 1, so after "forget everything" (or erasing the newest
-- rows) the next person's picture took id 1, 2, ... again, under an address that had shown someone else. With
-- it, the highest id ever given is kept in sqlite_sequence, which no erasing deletes and VACUUM keeps.
-- SQLite cannot add AUTOINCREMENT to a table in place: a new table, the rows copied (ids kept), the old one
-- dropped, the new one renamed, its index made again; schema.py runs this in one transaction, with the
-- new user_version, and raises the sequence above any id an earlier kit may have given out before a wipe.
--
-- Observations are not rebuilt the same way: a year of rows (millions, gigabytes) copied at start on an SD card
-- would hold the kit up for many minutes and need as much free space again. Nor need they be: an observation's
-- id reaches a visitor only as a label: on /data ("row 7", the card's in-page anchor #o-7), in /api/observations'
-- JSON and in exports; no address fetches one row by its id (/data and /api/observations list rows by page,
-- kind and time), so an old link never brings up another person's row. Anything that comes to serve an
-- observation by its id must first give observations ids that do not come back.
CREATE TABLE snapshots_ids_kept (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          REAL NOT NULL,
    subject     TEXT,                        -- track:7
    file        TEXT NOT NULL,               -- relative to the data directory
    blurred     INTEGER NOT NULL
);
INSERT INTO snapshots_ids_kept (id, ts, subject, file, blurred) SELECT id, ts, subject, file, blurred FROM snapshots;
DROP TABLE snapshots;
ALTER TABLE snapshots_ids_kept RENAME TO snapshots;
CREATE INDEX snapshots_subject ON snapshots (subject);
