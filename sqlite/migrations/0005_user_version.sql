-- A user's revision, so that an update made from a stale copy (a sign-in
-- that read the user before an operator disabled it) is refused instead of
-- writing the old values back. A counter, not the updated time: two
-- updates may share a millisecond, and the clock may go back.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0);
