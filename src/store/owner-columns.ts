// Owner <-> owners table row. Each kind fills its own columns; the rest stay NULL.
import { InputError } from '../errors.js';
import type { ContainerRuntime, ContainerType, Owner, OwnerKind, Qos } from '../model/types.js';

export interface OwnerRow {
  id: number;
  key: string | null;
  kind: string;
  pod_uid: string | null;
  qos: string | null;
  container_id: string | null;
  runtime: string | null;
  namespace: string | null;
  pod_name: string | null;
  container: string | null;
  container_type: string | null;
  unit: string | null;
  user_uid: number | null;
  session: string | null;
  cgroup: string | null;
}

export type OwnerColumns = Omit<OwnerRow, 'id'> & { ident: string };

/** Column values for an owner; `key` is the aggregate key, null for a process's owner. */
export function ownerColumns(owner: Owner, key: string | null): OwnerColumns {
  const c: OwnerColumns = {
    ident: '',
    key,
    kind: owner.kind,
    pod_uid: null,
    qos: null,
    container_id: null,
    runtime: null,
    namespace: null,
    pod_name: null,
    container: null,
    container_type: null,
    unit: null,
    user_uid: null,
    session: null,
    cgroup: null,
  };
  switch (owner.kind) {
    case 'pod':
      c.pod_uid = owner.podUid;
      c.qos = owner.qos;
      c.container_id = owner.containerId;
      c.runtime = owner.runtime;
      c.namespace = owner.namespace;
      c.pod_name = owner.podName;
      c.container = owner.container;
      c.container_type = owner.containerType;
      c.cgroup = owner.cgroup;
      break;
    case 'service':
      c.unit = owner.unit;
      c.cgroup = owner.cgroup;
      break;
    case 'user':
      c.unit = owner.unit;
      c.user_uid = owner.userUid;
      c.session = owner.session;
      c.cgroup = owner.cgroup;
      break;
    case 'kernel':
      break;
    case 'other':
      c.cgroup = owner.cgroup;
      break;
  }
  const ident: unknown[] = [key, c.kind, c.pod_uid, c.qos, c.container_id, c.runtime, c.namespace, c.pod_name, c.unit, c.user_uid, c.session, c.cgroup];
  // schema 2's columns join the identity only when set, so an owner without them keeps the row it had before
  if (c.container !== null || c.container_type !== null) ident.push(c.container, c.container_type);
  c.ident = JSON.stringify(ident);
  return c;
}

const QOS: readonly string[] = ['guaranteed', 'burstable', 'besteffort'] satisfies Qos[];
const RUNTIMES: readonly string[] = ['containerd', 'crio', 'crio-conmon', 'docker', 'unknown'] satisfies ContainerRuntime[];
const CONTAINER_TYPES: readonly string[] = ['container', 'sandbox'] satisfies ContainerType[];

function bad(row: OwnerRow, what: string): never {
  throw new InputError(`owners row ${row.id}: ${what} (corrupt database?)`);
}

export function ownerFromRow(row: OwnerRow): Owner {
  switch (row.kind as OwnerKind) {
    case 'pod': {
      if (row.pod_uid === null) bad(row, 'pod owner without pod_uid');
      if (row.qos === null || !QOS.includes(row.qos)) bad(row, `pod owner with qos ${String(row.qos)}`);
      if (row.runtime !== null && !RUNTIMES.includes(row.runtime)) bad(row, `pod owner with runtime ${row.runtime}`);
      if (row.container_type !== null && !CONTAINER_TYPES.includes(row.container_type)) bad(row, `pod owner with container_type ${row.container_type}`);
      return {
        kind: 'pod',
        podUid: row.pod_uid,
        qos: row.qos as Qos,
        containerId: row.container_id,
        runtime: row.runtime as ContainerRuntime | null,
        namespace: row.namespace,
        podName: row.pod_name,
        container: row.container,
        containerType: row.container_type as ContainerType | null,
        cgroup: row.cgroup,
      };
    }
    case 'service':
      if (row.unit === null) bad(row, 'service owner without unit');
      return { kind: 'service', unit: row.unit, cgroup: row.cgroup };
    case 'user':
      if (row.unit === null) bad(row, 'user owner without unit');
      return { kind: 'user', unit: row.unit, userUid: row.user_uid, session: row.session, cgroup: row.cgroup };
    case 'kernel':
      return { kind: 'kernel' };
    case 'other':
      return { kind: 'other', cgroup: row.cgroup };
    default:
      return bad(row, `unknown owner kind ${row.kind}`);
  }
}
