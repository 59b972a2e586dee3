-- The language a ticket's mail to the customer leads with, decided once
-- from the mail that opened it ("ko" or "en"), so that the delay notice,
-- a transfer and the answer days later read like the acknowledgement.
-- Tickets from before were all Korean first.
ALTER TABLE tickets ADD COLUMN language TEXT COLLATE "C" NOT NULL DEFAULT 'ko';
-- The handler's English name and department as the customer was told
-- them, beside the Korean ones (handler_name, handler_department).
ALTER TABLE tickets ADD COLUMN handler_name_en TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN handler_department_en TEXT COLLATE "C" NOT NULL DEFAULT '';
