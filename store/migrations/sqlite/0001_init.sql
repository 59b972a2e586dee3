-- Tickets: one conversation with one customer. The handler's contact is a
-- snapshot of what the customer was told, so later rule edits do not rewrite history.
CREATE TABLE tickets (
	id                 INTEGER PRIMARY KEY,
	tag                TEXT    NOT NULL,             -- subject tag prefix, e.g. FTA-PASS
	mailbox            TEXT    NOT NULL,
	category           TEXT    NOT NULL,
	status             TEXT    NOT NULL,             -- open | answered | closed | quarantined
	handler_id         TEXT    NOT NULL DEFAULT '',
	handler_name       TEXT    NOT NULL DEFAULT '',
	handler_department TEXT    NOT NULL DEFAULT '',
	handler_phone      TEXT    NOT NULL DEFAULT '',
	handler_email      TEXT    NOT NULL DEFAULT '',
	customer           TEXT    NOT NULL,             -- address, lower-case domain
	customer_name      TEXT    NOT NULL DEFAULT '',
	subject            TEXT    NOT NULL DEFAULT '',
	created_at         TEXT    NOT NULL,
	updated_at         TEXT    NOT NULL,
	due_at             TEXT,
	notice_at          TEXT,
	answered_at        TEXT,
	closed_at          TEXT
);
CREATE INDEX tickets_status ON tickets(status, due_at);
CREATE INDEX tickets_customer ON tickets(customer);

-- Messages: everything received and everything sent, raw bytes verbatim.
CREATE TABLE messages (
	id           INTEGER PRIMARY KEY,
	ticket_id    INTEGER REFERENCES tickets(id),
	direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	kind         TEXT    NOT NULL,                   -- inquiry | followup | automatic | quarantined | ack | ...
	mailbox      TEXT    NOT NULL DEFAULT '',
	uidvalidity  INTEGER,
	uid          INTEGER,
	message_id   TEXT    NOT NULL DEFAULT '',
	content_hash TEXT    NOT NULL,
	from_addr    TEXT    NOT NULL DEFAULT '',
	from_name    TEXT    NOT NULL DEFAULT '',
	to_addrs     TEXT    NOT NULL DEFAULT '',        -- comma separated
	subject      TEXT    NOT NULL DEFAULT '',
	date         TEXT,
	body_text    TEXT    NOT NULL DEFAULT '',
	quarantine   TEXT    NOT NULL DEFAULT '',        -- why it could not be parsed
	raw          BLOB    NOT NULL,
	created_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX messages_uid ON messages(mailbox, uidvalidity, uid) WHERE uid IS NOT NULL;
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id <> '';
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_hash ON messages(content_hash);

-- The Message-IDs a message names in In-Reply-To and References.
CREATE TABLE message_refs (
	message_id INTEGER NOT NULL REFERENCES messages(id),
	ref        TEXT    NOT NULL,
	PRIMARY KEY (message_id, ref)
) WITHOUT ROWID;
CREATE INDEX message_refs_ref ON message_refs(ref);

-- How far each mailbox has been read.
CREATE TABLE cursors (
	mailbox     TEXT    PRIMARY KEY,
	uidvalidity INTEGER NOT NULL,
	last_uid    INTEGER NOT NULL,
	updated_at  TEXT    NOT NULL
);

-- Mail waiting to go out. The raw bytes sit in messages; a row here is the
-- promise to deliver them.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	message_id      INTEGER NOT NULL REFERENCES messages(id),
	mail_from       TEXT    NOT NULL,
	rcpt_to         TEXT    NOT NULL,                -- newline separated
	state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT    NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      TEXT    NOT NULL,
	sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- What happened, per ticket (ticket_id NULL for mailbox-wide events).
CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER REFERENCES tickets(id),
	at        TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_ticket ON events(ticket_id, id);

-- Small named values the daemon keeps (keys it generated, for example).
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
