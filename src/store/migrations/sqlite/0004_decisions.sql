-- Moderation decisions, append-only: one row per (content, policy version, model versions), whose
-- id is derived from those (vigil::DecisionId), so recording the same decision twice is a no-op.
-- body is the decision's JSON (vigil::DecisionToJson); the other columns are for queries.
CREATE TABLE decisions (
  id TEXT PRIMARY KEY,
  content_sha256 TEXT NOT NULL,
  media_type TEXT NOT NULL,
  policy_name TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  outcome TEXT NOT NULL,
  models TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  created_ms BIGINT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX decisions_by_content ON decisions (content_sha256);
CREATE INDEX decisions_by_time ON decisions (created_ms);
