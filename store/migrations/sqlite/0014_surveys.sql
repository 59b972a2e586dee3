-- Closing and the satisfaction survey (issue 16).
--
-- auto_close_at: when an answered ticket closes by itself if the customer
-- does not write again ('' never; NULL not worked out yet). Only the
-- closing pass writes it (store/ratings.go), so UpdateTicket leaves it.
ALTER TABLE tickets ADD COLUMN auto_close_at TEXT;
CREATE INDEX tickets_auto_close ON tickets(auto_close_at, id) WHERE status = 'answered';

-- One survey per ticket, ever: the row is written in the transaction that
-- closes the ticket; due_at is when the survey mail goes out (NULL once
-- sent, skipped, or while the ticket is open again before it went).
CREATE TABLE surveys (
	ticket_id    INTEGER PRIMARY KEY REFERENCES tickets(id),
	customer_key TEXT    NOT NULL,             -- message.Canonical of the address surveyed
	due_at       TEXT,
	sent_at      TEXT,
	message_id   TEXT    NOT NULL DEFAULT '',  -- the survey mail's Message-ID
	skipped      TEXT    NOT NULL DEFAULT '',  -- why no survey went out
	thanked_at   TEXT,                         -- the one thank-you
	created_at   TEXT    NOT NULL
);
CREATE INDEX surveys_due ON surveys(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX surveys_customer ON surveys(customer_key, created_at);
CREATE INDEX surveys_sent ON surveys(sent_at) WHERE sent_at IS NOT NULL;

-- Ratings as customers gave them, with the handler and category at the
-- time of rating. A later rating of the same ticket replaces the current
-- one (replaced_at set); the replaced rows stay as the log.
CREATE TABLE ratings (
	id           INTEGER PRIMARY KEY,
	ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
	message_id   INTEGER REFERENCES messages(id),  -- the customer's reply
	rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
	comment      TEXT    NOT NULL DEFAULT '',
	handler_id   TEXT    NOT NULL DEFAULT '',
	handler_name TEXT    NOT NULL DEFAULT '',
	category     TEXT    NOT NULL DEFAULT '',
	at           TEXT    NOT NULL,
	replaced_at  TEXT
);
CREATE UNIQUE INDEX ratings_current ON ratings(ticket_id) WHERE replaced_at IS NULL;
CREATE INDEX ratings_ticket ON ratings(ticket_id, id);
CREATE INDEX ratings_at ON ratings(at) WHERE replaced_at IS NULL;
