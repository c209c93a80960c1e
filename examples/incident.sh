#!/usr/bin/env bash
# The incident memrec exists for, replayed safely on this machine: a memory cgroup with a 1 GiB limit
# stands in for the node; in it a pod (kubepods/burstable/pod<uid>/<container>) and the host service
# system.slice/plocate-updatedb.service, whose updatedb walks the pod's volume while its memory grows.
# memrec record watches that cgroup, bursts, and memrec culprits names updatedb, a host service.
# Needs root and a cgroup v1 memory hierarchy; run from a clone after `npm ci`. Everything it creates
# (the cgroup and its processes, a temp dir) is removed on exit; the database and HTML report are kept.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mem=/sys/fs/cgroup/memory
limit_mib=${MEMREC_INCIDENT_LIMIT_MIB:-1024}

if [[ $(id -u) -ne 0 ]]; then echo "incident.sh: run as root: it creates a memory cgroup" >&2; exit 2; fi
if [[ ! -f $mem/memory.usage_in_bytes ]]; then echo "incident.sh: needs a cgroup v1 memory hierarchy at $mem" >&2; exit 2; fi
if [[ ! -f $repo/dist/examples/incident/main.js ]]; then
  echo "• building memrec (npx tsc)"
  (cd "$repo" && npx tsc -p tsconfig.json >/dev/null) || true # other files' type errors do not stop emitting
fi

id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
# this script's pid and start time in the name: if it is killed before its trap runs, the next npm test
# removes the cgroup once it sees that process gone (test/helpers/cgroup.ts sweepStaleCgroups)
start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
cg=/memrec-incident-$$-$start-$id
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memrec-incident-$id.XXXXXX")
out=${MEMREC_INCIDENT_OUT:-$PWD/memrec-incident-$id}

node_pid=
cleanup() {
  local tries pids
  # the example and the recorder it started run in their own session: stop both
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM -- "-$node_pid" 2>/dev/null || true
    for tries in $(seq 40); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.05; done
  fi
  if [[ -d $mem$cg ]]; then
    for tries in $(seq 100); do
      pids=$(find "$mem$cg" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
      [[ -z $pids ]] && break
      kill -KILL $pids 2>/dev/null || true
      sleep 0.05
    done
    find "$mem$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    if [[ -d $mem$cg ]]; then echo "incident.sh: could not remove $mem$cg" >&2; else echo "• removed cgroup $cg and its processes"; fi
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$mem$cg"
echo "$((limit_mib * 1024 * 1024))" >"$mem$cg/memory.limit_in_bytes"
echo "• node cgroup $cg (memory limit ${limit_mib} MiB), temp host root $tmp"
umask 077
# In the background, so that a signal runs the trap at once; in its own session, so the trap can stop it all.
setsid node "$repo/dist/examples/incident/main.js" --cgroup "$cg" --dir "$tmp" --out "$out" --limit "$limit_mib" &
node_pid=$!
wait "$node_pid"
