-- Ticket numbers per tag: [QUAL #1] is the first QUAL ticket, not the
-- first ticket of all. The id stays the key everything refers to (reply
-- tokens, messages, events, `maildesk ticket ID`); number is what
-- subjects show. Existing tickets keep the numbers customers were told:
-- their number is their id.
ALTER TABLE tickets ADD COLUMN number INTEGER;
UPDATE tickets SET number = id;
CREATE UNIQUE INDEX tickets_tag_number ON tickets (tag, number);
