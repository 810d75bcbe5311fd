-- The app-managed Pipedrive person field that shows the Constant Contact status (DESIGN §3
-- "A CC opt-out is shown in Pipedrive"): created once per company, its key kept here.
ALTER TABLE connections ADD COLUMN cc_status_field_key text;

-- The status last written to that field for the link's person; null while nothing was written
-- (a subscribed contact is not written, so linking costs no extra Pipedrive call).
ALTER TABLE links ADD COLUMN cc_status text;
