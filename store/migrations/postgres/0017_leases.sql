-- Leases: which instance watches each mailbox when several maildesk run on
-- one PostgreSQL database (issue 20). A lease is taken and renewed by its
-- holder on the database's clock, so instances on machines whose clocks
-- disagree still agree on when it lapses. A row, not a session advisory
-- lock: behind PgBouncer in transaction mode no session outlives a
-- transaction to hold one.
CREATE TABLE leases (
	name       TEXT COLLATE "C" PRIMARY KEY, -- "mailbox NAME"
	holder     TEXT COLLATE "C" NOT NULL,    -- the instance: host, process id and a random part
	since_ms   BIGINT NOT NULL,              -- when this holder took it, Unix milliseconds
	expires_ms BIGINT NOT NULL               -- when it lapses unless renewed
);
