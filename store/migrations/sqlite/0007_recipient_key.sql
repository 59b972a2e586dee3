-- The acknowledgement rate limit counts by the recipient's canonical
-- address (lower case, no +tag), which the caller computes: counted by
-- the exact string, eight spellings of one mailbox got three
-- acknowledgements each. Rows before this migration get their address
-- lower-cased, which is the canonical form of every address without a
-- +tag.
ALTER TABLE messages ADD COLUMN to_key TEXT NOT NULL DEFAULT '';
UPDATE messages SET to_key = lower(to_addrs) WHERE direction = 'out';
DROP INDEX messages_sent_to;
CREATE INDEX messages_sent_to ON messages(to_key, kind, direction, created_at);
