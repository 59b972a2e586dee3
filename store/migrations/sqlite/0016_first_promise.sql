-- The first deadline the customer was promised (in the acknowledgement),
-- kept when a reopening (a follow-up after the answer, a low survey
-- rating) promises a new window: the report counts the first answer on
-- time against it (issue 17). Tickets before this keep their current
-- promise, the best there is.
ALTER TABLE tickets ADD COLUMN first_promised_at TEXT;
UPDATE tickets SET first_promised_at = promised_at;
