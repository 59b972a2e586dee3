-- Leases: which instance watches each mailbox when several maildesk run on
-- one PostgreSQL database (issue 20). A lease is taken and renewed by its
-- holder on the database's clock, so instances on machines whose clocks
-- disagree still agree on when it lapses. An SQLite database has one
-- daemon (its file lock sees to that) and holds no rows here; the table
-- is here so that both engines have one schema.
CREATE TABLE leases (
	name       TEXT    PRIMARY KEY, -- "mailbox NAME"
	holder     TEXT    NOT NULL,    -- the instance: host, process id and a random part
	since_ms   INTEGER NOT NULL,    -- when this holder took it, Unix milliseconds
	expires_ms INTEGER NOT NULL     -- when it lapses unless renewed
);
