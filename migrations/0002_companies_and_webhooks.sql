-- One row per Pipedrive company that installed the app: the anchor that uninstall deletes
-- (everything of the company cascades from it), and the home of the company's webhook
-- subscription, whose Basic-auth credentials are random per company.

CREATE TABLE companies (
  company_id          bigint      PRIMARY KEY,
  -- Basic-auth credentials Pipedrive sends with each delivery; the password is sealed.
  webhook_user        text        NOT NULL,
  webhook_password    text        NOT NULL,
  -- Ids of the webhooks we registered in Pipedrive, and what the last check found.
  webhook_ids         bigint[]    NOT NULL DEFAULT '{}',
  webhook_status      text        NOT NULL DEFAULT 'pending'
                      CHECK (webhook_status IN ('pending', 'ok', 'missing_rights', 'failed')),
  webhook_error       text,
  webhooks_checked_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE installations
  ADD CONSTRAINT installations_company FOREIGN KEY (company_id)
  REFERENCES companies (company_id) ON DELETE CASCADE;
ALTER TABLE connections
  ADD CONSTRAINT connections_company FOREIGN KEY (company_id)
  REFERENCES companies (company_id) ON DELETE CASCADE;

-- Webhook deliveries as received (the intake outbox). `event_id` is meta.id: Pipedrive
-- retries repeat it, so a second copy is recognised and ignored.
CREATE TABLE webhook_events (
  id           bigserial   PRIMARY KEY,
  company_id   bigint      NOT NULL REFERENCES companies (company_id) ON DELETE CASCADE,
  event_id     text        NOT NULL,
  action       text        NOT NULL,
  entity       text        NOT NULL,
  entity_id    bigint      NOT NULL,
  payload      jsonb       NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, event_id)
);
CREATE INDEX webhook_events_entity ON webhook_events (company_id, entity_id, received_at DESC);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

-- Why an installation or connection needs the admin (e.g. 'invalid_grant' → reconnect).
ALTER TABLE installations ADD COLUMN status_reason text;
ALTER TABLE connections ADD COLUMN status_reason text;
