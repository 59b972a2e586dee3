-- Where a ticket came from: "email" for mail, or the channel staff
-- registered it from (web, post, visit, fax, phone) with
-- `maildesk ticket new`. Tickets from before all came by mail.
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
-- The phone number given when it was registered, for the handler who must
-- call a customer without an email address.
ALTER TABLE tickets ADD COLUMN customer_phone TEXT NOT NULL DEFAULT '';
-- Correction requests (시정요청): one row per ticket of a category with
-- a compensation key, made when it opens (outcome "pending"), decided once
-- by #uphold or #dismiss. An upheld row with an amount is an entry of the
-- compensation ledger; paid_at marks it paid. The primary key on ticket_id
-- is what keeps a second #uphold from paying twice.
CREATE TABLE corrections (
	id          INTEGER PRIMARY KEY,
	ticket_id   INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
	received_at TEXT NOT NULL,
	outcome     TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'upheld', 'dismissed')),
	amount      INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
	handler_id  TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL DEFAULT '',
	decided_at  TEXT,
	paid_at     TEXT,
	paid_note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX corrections_decided ON corrections (decided_at);
CREATE INDEX corrections_received ON corrections (received_at);
