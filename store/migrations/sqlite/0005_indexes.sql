-- Indexes the query planner picks without statistics (maildesk never runs
-- ANALYZE), found with EXPLAIN QUERY PLAN on every query of the intake,
-- the outbox, the deadline clock and the ticket views (store/plan_test.go
-- keeps them so). Before this, threading a reply, the acknowledgement rate
-- limit and the deadline clock scanned whole tables.

-- Threading by In-Reply-To/References asks `message_id IN (...)`, which
-- SQLite cannot prove implies the partial index's `message_id <> ''`: the
-- index must cover every row to be used.
DROP INDEX messages_message_id;
CREATE INDEX messages_message_id ON messages(message_id);

-- Dedupe by content asks for both; a mail without Message-ID has '' and
-- must not walk every other such mail.
DROP INDEX messages_hash;
CREATE INDEX messages_hash ON messages(content_hash, message_id);

-- The acknowledgement rate limit counts mail of a kind sent to one address
-- since a time.
CREATE INDEX messages_sent_to ON messages(to_addrs, kind, direction, created_at);

-- Listing tickets of a status, newest first, without sorting them all.
DROP INDEX tickets_status;
CREATE INDEX tickets_status ON tickets(status, id);

-- The deadline clock: due notices and deadlines in time order. The partial
-- indexes of migration 3 lost to tickets_status in the planner and every
-- pass sorted all open tickets; equality columns first makes these the
-- obvious choice.
DROP INDEX tickets_notice_pending;
DROP INDEX tickets_due_pending;
CREATE INDEX tickets_notice_due ON tickets(status, notice_sent_at, notice_at);
CREATE INDEX tickets_deadline_due ON tickets(status, overdue_at, due_at);

-- Threading by subject matches the customer case-insensitively.
DROP INDEX tickets_customer;
CREATE INDEX tickets_customer ON tickets(lower(customer), subject);
