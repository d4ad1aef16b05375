-- Conveyor schema (PostgreSQL): the columns that reference an action take the collation of
-- action ids ("C"). With the database's default collation on one side of a join and "C" on
-- the other, the planner cannot use the referencing table's index for the join: a claim's
-- join to `action_payloads` read every payload (a sequential scan) to find its batch's.

ALTER TABLE action_payloads ALTER COLUMN action_id TYPE TEXT COLLATE "C";
ALTER TABLE action_report_lines ALTER COLUMN action_id TYPE TEXT COLLATE "C";
ALTER TABLE webhook_deliveries ALTER COLUMN action_id TYPE TEXT COLLATE "C";
