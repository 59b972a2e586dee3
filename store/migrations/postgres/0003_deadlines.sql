-- The deadline clock: when the delay notice went out for the current
-- window, when the deadline passed unanswered (and the supervisor was
-- alerted), and what staff said of a delay in advance.
ALTER TABLE tickets ADD COLUMN notice_sent_at TEXT COLLATE "C";
ALTER TABLE tickets ADD COLUMN overdue_at TEXT COLLATE "C";
ALTER TABLE tickets ADD COLUMN delay_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN delay_status TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN expected_at TEXT COLLATE "C";
CREATE INDEX tickets_notice_pending ON tickets(notice_at) WHERE notice_sent_at IS NULL AND status = 'open';
CREATE INDEX tickets_due_pending ON tickets(due_at) WHERE overdue_at IS NULL AND status = 'open';
