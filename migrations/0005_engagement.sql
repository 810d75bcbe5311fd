-- Email engagement from Constant Contact on the Pipedrive person (issue 9, DESIGN §3
-- "Engagement", §5 `engagement_seen`): what was read from CC's tracking reports, where each
-- report was read up to, and what was written to Pipedrive for each event.

-- One row per connection: when the campaigns were last listed, where the history starts.
CREATE TABLE engagement_state (
  connection_id      bigint      PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
  -- Events before this are never recorded (the settings' history window, fixed at the first poll).
  history_start      timestamptz NOT NULL,
  campaigns_listed_at timestamptz,
  last_poll_at       timestamptz,
  -- Why engagement goes to notes although the admin chose activities (e.g. no admin scope).
  notes_reason       text,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One row per campaign activity (role primary_email or resend, CC §9.2) and report kind:
-- the newest `created_time` read completely (the watermark), and the scan in progress.
CREATE TABLE engagement_reports (
  connection_id        bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  campaign_activity_id text        NOT NULL,
  kind                 text        NOT NULL CHECK (kind IN ('opens', 'clicks', 'optouts', 'bounces')),
  campaign_id          text        NOT NULL,
  campaign_name        text        NOT NULL,
  last_sent_at         timestamptz,
  -- Newest event time of the last completed scan; a scan stops at events older than this.
  watermark            timestamptz,
  -- A scan cut short (budget, crash): the next page to read and the newest time it saw.
  scan_next            text,
  scan_newest          timestamptz,
  -- CC's unique count for this kind when the last scan completed (summary report, CC §9.2).
  unique_count         integer,
  scanned_at           timestamptz,
  PRIMARY KEY (connection_id, campaign_activity_id, kind)
);

-- Every event read, once (dedup key), and what became of it in Pipedrive. `state`:
-- pending → sending (intent recorded before the call) → recorded; or skipped (no person to
-- record it on, or the kind is switched off) or merged (an open folded into its burst).
CREATE TABLE engagement_seen (
  id                   bigserial   PRIMARY KEY,
  connection_id        bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  event_key            text        NOT NULL,
  kind                 text        NOT NULL CHECK (kind IN ('open', 'click', 'optout', 'bounce')),
  campaign_activity_id text        NOT NULL,
  contact_id           text        NOT NULL,
  person_id            bigint,
  occurred_at          timestamptz NOT NULL,
  -- Campaign name and id, link URL, device, bounce code, opt-out reason.
  detail               jsonb       NOT NULL DEFAULT '{}',
  state                text        NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'sending', 'recorded', 'skipped', 'merged')),
  skip_reason          text,
  recorded_as          text        CHECK (recorded_as IN ('activity', 'note')),
  pipedrive_id         bigint,
  attempts             integer     NOT NULL DEFAULT 0,
  intent_at            timestamptz,
  recorded_at          timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, event_key)
);
CREATE INDEX engagement_seen_open ON engagement_seen (connection_id, occurred_at)
  WHERE state IN ('pending', 'sending');
CREATE INDEX engagement_seen_person ON engagement_seen (connection_id, person_id, occurred_at DESC);
CREATE INDEX engagement_seen_recorded ON engagement_seen (connection_id, recorded_at)
  WHERE state = 'recorded';
CREATE INDEX engagement_seen_burst ON engagement_seen (connection_id, contact_id, campaign_activity_id, occurred_at)
  WHERE kind = 'open' AND state = 'recorded';

-- The app's activity types, created once per company ("Email opened", …); `key_string` is read
-- back from Pipedrive, which derives it from the name (pipedrive-api.md §8.2).
CREATE TABLE engagement_activity_types (
  company_id   bigint      NOT NULL REFERENCES companies (company_id) ON DELETE CASCADE,
  kind         text        NOT NULL CHECK (kind IN ('open', 'click', 'optout', 'bounce')),
  type_id      bigint      NOT NULL,
  key_string   text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (company_id, kind)
);

-- Per contact, for the per-contact fallback (CC §9.1) when a person's panel is opened.
CREATE TABLE engagement_contacts (
  connection_id bigint      NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  contact_id    text        NOT NULL,
  read_at       timestamptz NOT NULL,
  watermark     timestamptz,
  PRIMARY KEY (connection_id, contact_id)
);
