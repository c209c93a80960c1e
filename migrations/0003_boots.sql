-- memrec schema 3: the boot every snapshot and event was recorded in, and events that are stored once.
-- The boot id (/proc/sys/kernel/random/boot_id) tells a reboot from a restarted recorder, and lets the
-- reports select one boot's recording (--boot). A snapshot references a `boots` row (one byte instead of
-- 36 characters in every row); events are few and keep the id as text in the boot_id column they already
-- have, which only oom_kill filled until now. Rows written before this migration have no boot: NULL.

CREATE TABLE boots (
  id INTEGER PRIMARY KEY,
  boot_id TEXT NOT NULL UNIQUE
) STRICT;

ALTER TABLE snapshots ADD COLUMN boot INTEGER;
-- a boot's first and last snapshot, without reading the rows
CREATE INDEX snapshots_boot ON snapshots (boot, taken_at) WHERE boot IS NOT NULL;
CREATE INDEX events_boot ON events (boot_id, at) WHERE boot_id IS NOT NULL;

-- what makes an event the same one again (a pstore file's name and content hash): stored once per type
ALTER TABLE events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX events_dedupe ON events (type, dedupe_key) WHERE dedupe_key IS NOT NULL;
