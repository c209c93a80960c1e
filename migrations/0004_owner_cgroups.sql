-- memrec schema 4: an owner's cgroup counters that do not change, stored once (owner blob format 3).
-- A row is an owner, its cgroup's path (a `strings` id; NULL for an owner without a cgroup, kernel threads) and
-- those counters that stayed as they were: limit, high, and the peak and event counts while they do not move.
-- `mask` says which counters the cgroup has and which the blob carries instead (the peak or the counts when they
-- changed at the previous snapshot): src/store/owner-pack.ts. A snapshot's owner blob references rows by id, so it
-- decodes alone, as a `strings` id does; nothing is carried from one snapshot to the next. Retention deletes a row
-- only when no snapshot references it. Blobs written before (formats 1 and 2) carry everything and stay as they are.
CREATE TABLE owner_cgroups (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL,
  path_id INTEGER,
  mask INTEGER NOT NULL,
  peak_bytes INTEGER,
  limit_bytes INTEGER,
  high_bytes INTEGER,
  failcnt INTEGER,
  oom_kills INTEGER,
  high_events INTEGER,
  max_events INTEGER,
  oom_events INTEGER
) STRICT;
-- the writer finds an existing row by its owner, then compares the columns
CREATE INDEX owner_cgroups_owner ON owner_cgroups (owner_id);
