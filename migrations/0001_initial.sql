-- memrec schema 1. Times are UTC epoch milliseconds, sizes bytes.
-- Strings that repeat every snapshot (comm, cgroup, unit, cwd, exe, cmdline, trigger) live once in
-- `strings`; a process's stable attributes live once in `procs`; owners once in `owners`.
-- A snapshot is one row: its figures as columns, its kept processes and its per-owner aggregates as
-- two packed blobs (src/store/process-pack.ts, owner-pack.ts) that reference procs and owners by id.
-- Packed, a kept process costs ~24 bytes instead of ~45 as a table row, and a day of them reads in
-- milliseconds: the blobs are always read whole, per snapshot, and filtered in memrec.
-- Columns named *_id hold such ids. No foreign key constraints: retention deletes in bulk and collects
-- orphans itself, and per-row checks would cost a lookup on every insert and delete.

CREATE TABLE strings (
  id INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
) STRICT;

-- One row per distinct owner; `ident` is its canonical JSON (with the aggregate key, if any) so the
-- writer finds an existing row. Columns that a kind does not have are NULL.
CREATE TABLE owners (
  id INTEGER PRIMARY KEY,
  ident TEXT NOT NULL UNIQUE,
  key TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('pod', 'service', 'user', 'kernel', 'other')),
  pod_uid TEXT,
  qos TEXT,
  container_id TEXT,
  runtime TEXT,
  namespace TEXT,
  pod_name TEXT,
  unit TEXT,
  user_uid INTEGER,
  session TEXT,
  cgroup TEXT
) STRICT;
CREATE INDEX owners_pod_uid ON owners (pod_uid) WHERE pod_uid IS NOT NULL;

-- The thresholds in force; they rarely change, so snapshots reference a row.
CREATE TABLE thresholds (
  id INTEGER PRIMARY KEY,
  ident TEXT NOT NULL UNIQUE,
  hard_raw TEXT NOT NULL,
  hard_bytes INTEGER NOT NULL,
  hard_source TEXT NOT NULL,
  hard_origin TEXT NOT NULL,
  hard_grace TEXT,
  soft_raw TEXT,
  soft_bytes INTEGER,
  soft_source TEXT,
  soft_origin TEXT,
  soft_grace TEXT
) STRICT;

CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,
  taken_at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('scheduled', 'burst', 'manual', 'oom')),
  trigger_id INTEGER,
  capture_ms REAL NOT NULL,
  cgroup_mode TEXT NOT NULL CHECK (cgroup_mode IN ('v1', 'hybrid', 'v2')),
  mem_total INTEGER NOT NULL,
  mem_free INTEGER NOT NULL,
  mem_available INTEGER,
  cached INTEGER,
  shmem INTEGER,
  slab INTEGER,
  s_reclaimable INTEGER,
  swap_total INTEGER,
  swap_free INTEGER,
  -- the kubelet's node signal (or the --memory-cgroup signal)
  node_cgroup_id INTEGER NOT NULL,
  node_capacity INTEGER NOT NULL,
  node_usage INTEGER NOT NULL,
  node_inactive_file INTEGER NOT NULL,
  node_working_set INTEGER NOT NULL,
  node_available INTEGER NOT NULL,
  node_formula TEXT NOT NULL,
  -- the allocatable signal on kubepods; all NULL when there is no kubepods cgroup
  alloc_cgroup_id INTEGER,
  alloc_capacity INTEGER,
  alloc_usage INTEGER,
  alloc_inactive_file INTEGER,
  alloc_working_set INTEGER,
  alloc_available INTEGER,
  alloc_formula TEXT,
  -- /proc/pressure/memory; all NULL when the kernel has no PSI
  -- averages × 100: the kernel prints two decimals, so integers keep them exactly in 1–2 bytes instead of 8
  psi_some_avg10_x100 INTEGER,
  psi_some_avg60_x100 INTEGER,
  psi_some_avg300_x100 INTEGER,
  psi_some_total_us INTEGER,
  psi_full_avg10_x100 INTEGER,
  psi_full_avg60_x100 INTEGER,
  psi_full_avg300_x100 INTEGER,
  psi_full_total_us INTEGER,
  oom_kill_count INTEGER,
  thresholds_id INTEGER NOT NULL,
  process_count INTEGER NOT NULL,
  -- the kept (top N) processes, in the collector's order (largest RSS first)
  process_pack BLOB NOT NULL,
  -- per-owner aggregates over all processes, largest RSS first
  owner_pack BLOB NOT NULL
) STRICT;
CREATE INDEX snapshots_taken_at ON snapshots (taken_at);
-- retention deletes the oldest snapshots of one kind first
CREATE INDEX snapshots_kind_taken_at ON snapshots (kind, taken_at);

-- A process's attributes that rarely change; a new row when any of them does (updatedb's cwd moves).
CREATE TABLE procs (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  start_time INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  uid INTEGER,
  comm_id INTEGER NOT NULL,
  cgroup_id INTEGER,
  unit_id INTEGER,
  owner_id INTEGER NOT NULL,
  cwd_id INTEGER,
  exe_id INTEGER,
  cmdline_id INTEGER,
  oom_score_adj INTEGER,
  unknown TEXT,
  flags TEXT
) STRICT;
CREATE INDEX procs_pid ON procs (pid, start_time);
CREATE INDEX procs_owner ON procs (owner_id);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  details TEXT NOT NULL,
  -- oom_kill only: kmsg sequence numbers restart at boot, so (boot_id, kmsg_seq) identifies a kernel record
  boot_id TEXT,
  kmsg_seq INTEGER
) STRICT;
CREATE INDEX events_at ON events (at);
CREATE UNIQUE INDEX events_kmsg ON events (boot_id, kmsg_seq) WHERE boot_id IS NOT NULL AND kmsg_seq IS NOT NULL;
