-- Durable background jobs (the schema of PRAGMA user_version 1, before schema_migrations).
CREATE TABLE jobs (
  id                TEXT PRIMARY KEY,
  kind              TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
  progress          REAL NOT NULL DEFAULT 0,
  input             TEXT NOT NULL,
  options_json      TEXT NOT NULL DEFAULT '{}',
  result_json       TEXT,
  error_code        TEXT,
  error_message     TEXT,
  callback_url      TEXT,
  callback_state    TEXT NOT NULL DEFAULT 'none'
                    CHECK (callback_state IN ('none','pending','delivered','failed')),
  callback_attempts INTEGER NOT NULL DEFAULT 0,
  attempts          INTEGER NOT NULL DEFAULT 0,
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  run_token         TEXT,
  created_ms        INTEGER NOT NULL,
  started_ms        INTEGER NOT NULL DEFAULT 0,
  finished_ms       INTEGER NOT NULL DEFAULT 0,
  updated_ms        INTEGER NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state, created_ms);
