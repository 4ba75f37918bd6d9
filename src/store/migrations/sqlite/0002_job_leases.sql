-- Leases instead of a process lock: the claimant's worker id and when its claim lapses unless
-- heartbeats extend it (a lapsed running job is claimable again); final_token is the run token
-- that made a job final, so a repeated final write by that run is recognised (idempotent).
-- Jobs an older Vigil left running get lease 0: already expired, claimable at once.
ALTER TABLE jobs ADD COLUMN worker_id TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN final_token TEXT;
CREATE INDEX jobs_by_lease ON jobs (state, lease_expires_ms);
