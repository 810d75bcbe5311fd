-- The app's own Pipedrive calls of the last seconds, per company: a sliding log that paces
-- them to the rolling 2-second burst window (reference 9.3), counted per token, so the app
-- knows to the millisecond when a slot frees instead of waiting for x-ratelimit-reset's whole
-- seconds. Rows older than a few seconds are removed; losing them in a crash is harmless, so
-- the table is unlogged.
CREATE UNLOGGED TABLE pipedrive_calls (
  company_id bigint      NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX pipedrive_calls_company_at ON pipedrive_calls (company_id, at);

-- Set by a 429: no call for this company until then (someone else holds the token too, or
-- the log and Pipedrive disagreed).
ALTER TABLE pipedrive_rate_state ADD COLUMN throttled_until timestamptz;
