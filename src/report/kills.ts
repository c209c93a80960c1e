// One line per OOM kill that answers "was the victim the cause?": whom the kernel killed, whose it was, its
// oom_score_adj and size, and beside it the largest task of the OOM domain. The OOM killer picks by badness
// (rss + swap + page tables + oom_score_adj × domain pages / 1000), so a best-effort pod (adj 1000) holding
// 4Mi goes before a host service (adj 0) holding 17Gi: the line puts both in view.
import { ownerLabel } from '../model/attribution.js';
import { formatBytes } from '../model/quantity.js';
import type { OomKill, OomTask, Owner, Qos } from '../model/types.js';
import { cleanText } from './format/text.js';
import type { StoredEventRow } from './source.js';
import { formatLocal, isoUtc } from './time.js';

const QOS: Record<Qos, string> = { guaranteed: 'guaranteed', burstable: 'burstable', besteffort: 'best-effort' };

/** `pod shop/web-1, best-effort`, `host service cron.service`, `user session-3.scope (uid 1000)`, `kernel`, `cgroup /x`. */
export function ownerPhrase(o: Owner): string {
  switch (o.kind) {
    case 'pod':
      return `pod ${o.namespace !== null && o.podName !== null ? `${o.namespace}/${o.podName}` : o.podUid}, ${QOS[o.qos]}`;
    case 'service':
      return `host service ${o.unit}`;
    case 'user':
      return `user ${o.unit}${o.userUid === null ? '' : ` (uid ${o.userUid})`}`;
    case 'kernel':
      return 'kernel';
    case 'other':
      return `cgroup ${o.cgroup ?? 'unknown'}`;
  }
}

/** The victim's size: its task-table rss, else anon + file + shmem of its Killed line. */
export function victimRssBytes(k: OomKill): number | null {
  const row = k.tasks.find((t) => t.pid === k.pid);
  if (row?.rssBytes != null) return row.rssBytes;
  return k.anonRssKb === null || k.fileRssKb === null ? null : (k.anonRssKb + k.fileRssKb + (k.shmemRssKb ?? 0)) * 1024;
}

function taskText(comm: string, pid: number, owner: string | null, adj: number | null, showAdj: boolean, rss: number | null): string {
  const parts = [`pid ${pid}`];
  if (owner !== null) parts.push(owner);
  if (showAdj && adj !== null) parts.push(`oom_score_adj ${adj}`);
  if (rss !== null) parts.push(formatBytes(rss));
  return `${comm} (${parts.join(', ')})`;
}

/**
 * "killed nginx (pid 812, pod shop/web-1, best-effort, oom_score_adj 1000, 4Mi); the largest task was updatedb
 * (pid 4120, host service plocate-updatedb.service, 17.5Gi)". Control characters are escaped (cleanText).
 */
export function describeKill(k: OomKill): string {
  const owner = k.owner !== null ? ownerPhrase(k.owner) : k.taskMemcg !== null ? `cgroup ${k.taskMemcg}` : 'owner unknown';
  const victim = taskText(k.comm, k.pid, owner, k.oomScoreAdj, true, victimRssBytes(k));
  const g = k.group;
  let s = g === null ? `killed ${victim}` : `killed the ${g.victims.length + g.victimsOmitted} tasks of ${g.memcg} (memory.oom.group), first ${victim}`;
  const big: OomTask | null = k.largest;
  if (big === null) s += k.missing.includes('tasks') ? '; the report had no task list' : '';
  else if (big.pid === k.pid) s += '; it was the largest task';
  else {
    // adj 0 is the default and says nothing; any other value is part of why this task was not chosen
    s += `; the largest task was ${taskText(big.comm, big.pid, big.owner === null ? 'owner unknown' : ownerPhrase(big.owner), big.oomScoreAdj, big.oomScoreAdj !== 0, big.rssBytes)}`;
  }
  return cleanText(s);
}

/** `global OOM`, `OOM in /kubepods/burstable/pod…` (the memcg whose limit was hit), or `OOM`. */
export function killScope(k: OomKill): string {
  return k.global === true ? 'global OOM' : k.oomMemcg !== null ? `OOM in ${cleanText(k.oomMemcg)}` : 'OOM';
}

/** `<scope>: <describeKill>`: the one line every report shows for a kill. */
export function killDescription(k: OomKill): string {
  return `${killScope(k)}: ${describeKill(k)}`;
}

/** A kill as reports list it (culprits JSON `oomKills`). */
export interface KillLine {
  at: string;
  /** `at` in epoch ms, for drawing: never written (killLineJson) */
  atMs: number;
  pid: number;
  comm: string;
  global: boolean | null;
  oomMemcg: string | null;
  oomScoreAdj: number | null;
  /** the victim's owner, as a label (`pod shop/web-1 (besteffort)`); null when unknown */
  owner: string | null;
  rssBytes: number | null;
  largest: { pid: number; comm: string; rssBytes: number | null; oomScoreAdj: number | null; owner: string | null } | null;
  /** null without a task table */
  victimWasLargest: boolean | null;
  /** memory.oom.group kills: how many tasks of the group were killed */
  groupSize: number | null;
  /** `<scope>: <describeKill>` */
  description: string;
}

export function killLine(at: number, k: OomKill): KillLine {
  const big = k.largest;
  return {
    at: isoUtc(at),
    atMs: at,
    pid: k.pid,
    comm: k.comm,
    global: k.global,
    oomMemcg: k.oomMemcg,
    oomScoreAdj: k.oomScoreAdj,
    owner: k.owner === null ? null : ownerLabel(k.owner),
    rssBytes: victimRssBytes(k),
    largest: big === null ? null : { pid: big.pid, comm: big.comm, rssBytes: big.rssBytes, oomScoreAdj: big.oomScoreAdj, owner: big.owner === null ? null : ownerLabel(big.owner) },
    victimWasLargest: big === null ? null : big.pid === k.pid,
    groupSize: k.group === null ? null : k.group.victims.length + k.group.victimsOmitted,
    description: killDescription(k),
  };
}

/** A kill as JSON writes it: its time as the ISO `at` only. */
export type KillLineJson = Omit<KillLine, 'atMs'>;

export function killLineJson({ atMs: _, ...k }: KillLine): KillLineJson {
  return k;
}

/** Every oom_kill among `events`, oldest first. */
export function killLines(events: readonly StoredEventRow[]): KillLine[] {
  return events
    .filter((e): e is StoredEventRow & { type: 'oom_kill' } => e.type === 'oom_kill')
    .sort((a, b) => a.at - b.at || a.id - b.id)
    .map((e) => killLine(e.at, e.details));
}

/**
 * Kills as text, one each wrapped to the width (`✖ 2026-11-27 02:41:07 OOM in /x: killed ...`): the last `max`,
 * nearest the end of the range, so the text stays short however often a container crash-looped.
 */
export function killList(kills: ReadonlyArray<{ atMs: number; description: string }>, zone: string, width: number, max = 10): string[] {
  const shown = kills.slice(-max);
  const out: string[] = [];
  if (shown.length < kills.length) out.push(...wrapWords(`(${kills.length - shown.length} earlier OOM kills: see memrec events --type oom_kill)`, width, ' '));
  for (const k of shown) out.push(...wrapWords(`✖ ${formatLocal(k.atMs, zone)} ${k.description}`, width, '  '));
  return out;
}

/** Words onto lines of at most `width` characters (a longer word stands alone): the first line after `first`, the others after `indent`. */
export function wrapWords(text: string, width: number, indent: string, first = ''): string[] {
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && [...cur].length + 1 + [...word].length > width) {
      lines.push(cur + '\n');
      cur = indent + word;
    } else cur += (empty ? '' : ' ') + word;
    empty = false;
  }
  if (!empty) lines.push(cur + '\n');
  return lines;
}
