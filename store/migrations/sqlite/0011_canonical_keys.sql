-- Lookups by a customer's or a sender's address compare one canonical
-- form (message.Canonical: lower case, no mailto:, no <>, no +tag, no
-- trailing dot), which the caller computes, as it does to_key (0007):
-- lower() of the raw address counted kim+a@x and Kim@X as two customers.
-- Rows from before get an approximation in SQL: lower case, trimmed, the
-- +tag and trailing dots dropped.
ALTER TABLE tickets ADD COLUMN customer_key TEXT NOT NULL DEFAULT '';
UPDATE tickets SET customer_key = rtrim(lower(trim(customer)), '. ');
UPDATE tickets SET customer_key = substr(customer_key, 1, instr(customer_key, '+') - 1) || substr(customer_key, instr(customer_key, '@'))
	WHERE instr(customer_key, '+') > 1 AND instr(customer_key, '+') < instr(customer_key, '@');
DROP INDEX tickets_customer;
CREATE INDEX tickets_customer ON tickets(customer_key, subject);
ALTER TABLE messages ADD COLUMN from_key TEXT NOT NULL DEFAULT '';
UPDATE messages SET from_key = rtrim(lower(trim(from_addr)), '. ') WHERE direction = 'in';
UPDATE messages SET from_key = substr(from_key, 1, instr(from_key, '+') - 1) || substr(from_key, instr(from_key, '@'))
	WHERE instr(from_key, '+') > 1 AND instr(from_key, '+') < instr(from_key, '@');
