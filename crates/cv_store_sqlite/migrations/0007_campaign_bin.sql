-- Conveyor schema v7 (SQLite): the bin. A campaign deleted without `force` and its vouchers
-- are marked `binned = 1`: hidden from every read, the campaign's name and the vouchers'
-- codes still taken.

ALTER TABLE campaigns ADD COLUMN binned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vouchers ADD COLUMN binned INTEGER NOT NULL DEFAULT 0;
