-- PDQ hash banks (include/vigil/hash_bank.h): one row per bank with its matching settings, the next
-- entry id, a cached entry count and a revision bumped by every change (matchers reload only the
-- banks whose revision moved); entries keyed by (bank, id), the hash as 64 hex digits; a video frame's entry keeps the time
-- range of its original it stands for (start_ms, end_ms; -1 for still images).
CREATE TABLE hash_banks (
  name          TEXT PRIMARY KEY,
  threshold     INTEGER NOT NULL CHECK (threshold BETWEEN 0 AND 64),
  quality_floor INTEGER NOT NULL CHECK (quality_floor BETWEEN 0 AND 100),
  dihedral      INTEGER NOT NULL DEFAULT 0,
  created_unix  BIGINT NOT NULL,
  next_id       BIGINT NOT NULL DEFAULT 1,
  entry_count   BIGINT NOT NULL DEFAULT 0,
  revision      BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE hash_bank_entries (
  bank        TEXT NOT NULL,
  id          BIGINT NOT NULL,
  hash        TEXT NOT NULL,
  external_id TEXT NOT NULL DEFAULT '',
  category    TEXT NOT NULL DEFAULT '',
  source      TEXT NOT NULL DEFAULT '',
  added_unix  BIGINT NOT NULL,
  start_ms    BIGINT NOT NULL DEFAULT -1,
  end_ms      BIGINT NOT NULL DEFAULT -1,
  PRIMARY KEY (bank, id)
);
