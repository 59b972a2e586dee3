-- The priority the rules gave a ticket when it was opened, for the
-- supervisor's list (it was only in the "opened" event before).
ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT '';
