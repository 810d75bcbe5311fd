-- The initial sync streams both accounts into these tables and matches there, so memory stays
-- flat however many contacts there are (issue: "stage in Postgres and match there"). Rows
-- belong to one run and go with it.

CREATE TABLE sync_stage_persons (
  run_id          bigint      NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
  person_id       bigint      NOT NULL,
  -- Normalised primary email; NULL when the person is excluded (excluded_reason says why).
  email           text,
  excluded_reason text,
  add_time        timestamptz,
  in_rule         boolean     NOT NULL,
  -- Set after staging: the older person that owns this email (DESIGN §3 duplicates).
  duplicate_of    bigint,
  snapshot        jsonb       NOT NULL,
  PRIMARY KEY (run_id, person_id)
);
CREATE INDEX sync_stage_persons_email ON sync_stage_persons (run_id, email);

CREATE TABLE sync_stage_contacts (
  run_id      bigint  NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
  contact_id  text    NOT NULL,
  email       text,
  in_rule     boolean NOT NULL,
  snapshot    jsonb   NOT NULL,
  PRIMARY KEY (run_id, contact_id)
);
CREATE INDEX sync_stage_contacts_email ON sync_stage_contacts (run_id, email);

-- A create announced before it is sent. After a crash, an intent without a link means the
-- create may have happened: the engine looks the email up before creating again.
CREATE TABLE sync_intents (
  connection_id bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  side          text        NOT NULL CHECK (side IN ('pipedrive', 'constant_contact')),
  email         text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, side, email)
);

-- "Sync now" re-runs the same reconciliation over linked pairs: a run of its own kind.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_kind_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_kind_check CHECK (kind IN ('initial', 'dry_run', 'scan'));
