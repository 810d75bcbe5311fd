-- The core data model (../shared/DESIGN.md §5): who is installed, the connection to Constant
-- Contact with its settings, the links between persons and contacts, per-contact errors and
-- history, and the runs of the initial sync and dry-run.

CREATE TABLE installations (
  id            bigserial PRIMARY KEY,
  company_id    bigint      NOT NULL,
  user_id       bigint      NOT NULL,
  company_name  text,
  company_domain text,
  user_name     text,
  user_email    text,
  api_domain    text        NOT NULL,
  scopes        text[]      NOT NULL DEFAULT '{}',
  -- Encrypted with AES-256-GCM; each value carries the id of the key that sealed it.
  access_token  text,
  refresh_token text,
  access_token_expires_at timestamptz,
  status        text        NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'needs_reauth')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, user_id)
);

CREATE TABLE connections (
  id              bigserial PRIMARY KEY,
  company_id      bigint      NOT NULL UNIQUE,
  cc_account_id   text,
  cc_account_name text,
  cc_access_token  text,
  cc_refresh_token text,
  cc_access_token_expires_at timestamptz,
  status          text        NOT NULL DEFAULT 'setup'
                  CHECK (status IN ('setup', 'active', 'paused', 'needs_reauth')),
  -- Direction, rules, mapping, conflict winner, engagement options: validated by the app's
  -- zod schema on every write, so the shape can grow without a migration per option.
  settings        jsonb       NOT NULL DEFAULT '{}',
  -- Poll watermarks and scan cursors.
  cursors         jsonb       NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE links (
  id             bigserial PRIMARY KEY,
  connection_id  bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  person_id      bigint,
  contact_id     text,
  -- The normalised primary email at the last sync; links are followed by ids, not by this.
  email          text        NOT NULL,
  -- The last values both sides agreed on, per mapped field: the base of the three-way merge.
  base           jsonb       NOT NULL DEFAULT '{}',
  person_hash    text,
  contact_hash   text,
  state          text        NOT NULL DEFAULT 'active'
                 CHECK (state IN ('active', 'person_deleted', 'contact_deleted', 'out_of_rule')),
  last_synced_at timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (person_id IS NOT NULL OR contact_id IS NOT NULL)
);
CREATE UNIQUE INDEX links_person ON links (connection_id, person_id) WHERE person_id IS NOT NULL;
CREATE UNIQUE INDEX links_contact ON links (connection_id, contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX links_email ON links (connection_id, email);

CREATE TABLE contact_errors (
  id             bigserial PRIMARY KEY,
  connection_id  bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  -- Which contact: 'person:<id>', 'contact:<uuid>' or 'email:<address>'.
  subject        text        NOT NULL,
  person_id      bigint,
  contact_id     text,
  code           text        NOT NULL,
  detail         jsonb       NOT NULL DEFAULT '{}',
  occurrences    integer     NOT NULL DEFAULT 1,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz
);
CREATE UNIQUE INDEX contact_errors_open ON contact_errors (connection_id, subject, code)
  WHERE resolved_at IS NULL;
CREATE INDEX contact_errors_person ON contact_errors (connection_id, person_id);

CREATE TABLE contact_events (
  id             bigserial PRIMARY KEY,
  connection_id  bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  link_id        bigint      REFERENCES links (id) ON DELETE SET NULL,
  person_id      bigint,
  contact_id     text,
  direction      text        NOT NULL CHECK (direction IN ('to_cc', 'to_pipedrive', 'none')),
  kind           text        NOT NULL,
  -- Per field: { from, to }.
  changes        jsonb       NOT NULL DEFAULT '{}',
  reason         text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_events_person ON contact_events (connection_id, person_id, created_at DESC);
CREATE INDEX contact_events_created ON contact_events (created_at);

CREATE TABLE sync_runs (
  id             bigserial PRIMARY KEY,
  connection_id  bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  kind           text        NOT NULL CHECK (kind IN ('initial', 'dry_run')),
  status         text        NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  phase          text,
  done           integer     NOT NULL DEFAULT 0,
  total          integer,
  -- Counts, samples and the resume checkpoint.
  result         jsonb       NOT NULL DEFAULT '{}',
  checkpoint     jsonb       NOT NULL DEFAULT '{}',
  error          text,
  started_at     timestamptz,
  finished_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, created_at DESC);
