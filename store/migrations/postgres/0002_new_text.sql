-- The new part of a message's text, without the quoted history and
-- signature: what the ticket view and staff relays show.
ALTER TABLE messages ADD COLUMN new_text TEXT COLLATE "C" NOT NULL DEFAULT '';
