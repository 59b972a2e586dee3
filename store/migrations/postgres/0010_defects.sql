-- What parsing read around in a received mail (a missing final boundary,
-- an attachment with broken base64, header lines that are not fields),
-- one per line: the mail was taken in and answered, and the ticket view
-- shows why it may look odd. Empty for mail without defects and for mail
-- received before this.
ALTER TABLE messages ADD COLUMN defects TEXT COLLATE "C" NOT NULL DEFAULT '';
