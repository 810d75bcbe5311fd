-- API budgets shared by every process on this database (../shared/DESIGN.md §7): daily
-- counters, the Constant Contact per-second grant log and waiting room (priorities and fair
-- shares across processes), and what Pipedrive's rate-limit headers last said per company.

-- One row per counter and day. Constant Contact keys: '<client id>' (the whole application,
-- which CC limits), '<client id>|account:<id>' and '<client id>|priority:<name>' (for shares and
-- the settings page). Pipedrive keys: '<company id>' (tokens spent by this app).
CREATE TABLE api_budget (
  provider     text        NOT NULL CHECK (provider IN ('pipedrive', 'constant_contact')),
  key          text        NOT NULL,
  window_start timestamptz NOT NULL,
  used         integer     NOT NULL DEFAULT 0 CHECK (used >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, key, window_start)
);

-- Each Constant Contact request slot handed out, kept about a minute: the rolling per-second
-- window and "who was served last" for fair shares are read from here.
CREATE TABLE api_grants (
  id         bigserial   PRIMARY KEY,
  app_key    text        NOT NULL,
  account    text        NOT NULL,
  priority   text        NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX api_grants_app_time ON api_grants (app_key, granted_at);

-- Callers waiting for a Constant Contact slot, from every process. A row not seen for a few
-- seconds belongs to a process that died and is ignored, then removed.
CREATE TABLE api_waiters (
  id          bigserial   PRIMARY KEY,
  app_key     text        NOT NULL,
  account     text        NOT NULL,
  priority    text        NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  seen_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX api_waiters_app ON api_waiters (app_key, enqueued_at);

-- Pipedrive, per company: the daily token budget when known, and the burst window as the last
-- response's x-ratelimit-* headers described it.
CREATE TABLE pipedrive_rate_state (
  company_id      bigint      PRIMARY KEY,
  daily_budget    integer     CHECK (daily_budget > 0),
  burst_limit     integer,
  burst_remaining integer,
  burst_reset_at  timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
