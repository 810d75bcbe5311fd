-- Whether the linked person was in the Pipedrive rule (the chosen people filters) when the last
-- scan read it. Filter membership fires no webhook (DESIGN §3), so only a scan knows it; person
-- jobs and polls read it here. A person outside the filters whose contact is in the CC rule
-- stays linked and active (CC → Pipedrive goes on), but nothing goes from it to CC until a
-- scan finds it back in a filter. Ignored when the rule is all persons.
ALTER TABLE links ADD COLUMN person_in_rule boolean NOT NULL DEFAULT true;
