-- The deadline the customer was promised (in the acknowledgement, or by a
-- new window on reopening) apart from the deadline in force: a #defer
-- moves the latter, and the delay notice then says "later than the
-- promised …, expected …" with two different times, and reports count an
-- answer on time against the promise. Tickets before this had only one.
ALTER TABLE tickets ADD COLUMN promised_at TEXT COLLATE "C";
UPDATE tickets SET promised_at = due_at;
