-- Tickets that went to a delegate while their handler was away: the
-- handler gets a short note of them when back.
CREATE TABLE fyi (
	id            INTEGER PRIMARY KEY,
	handler_id    TEXT    NOT NULL,
	handler_name  TEXT    NOT NULL DEFAULT '',
	handler_email TEXT    NOT NULL,
	ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
	due_at        TEXT    NOT NULL,
	sent_at       TEXT
);
CREATE INDEX fyi_pending ON fyi(due_at) WHERE sent_at IS NULL;
