// An owner as a table cell: its label, and where its cgroup sits when that is not where such an owner
// normally is (a nested node's services, a kind node's pods). One column says what OWNER and CGROUP
// used to say twice; json and csv keep the whole cgroup.
import type { OwnerKind } from '../../model/types.js';
import { inNode } from '../select.js';
import { truncateMiddle } from './table.js';

/**
 * The cgroup path above the place an owner of this kind normally sits (`/system.slice/<unit>`,
 * `/kubepods…`, `/user.slice/…`); '' at the root. From the owner's cgroup, else the process's.
 */
export function nestingOf(kind: OwnerKind, ownerCgroup: string | null, cgroup: string | null): string {
  const path = ownerCgroup ?? cgroup;
  if (path === null || kind === 'kernel' || kind === 'other') return '';
  const segs = path.split('/').filter((s) => s !== '');
  let end: number;
  if (kind === 'pod') end = segs.findIndex((s) => /(?:^|-)kubepods(?:[.-]|$)/.test(s));
  else if (kind === 'user') end = segs.findIndex((s) => s === 'user.slice' || /^user-\d+\.slice$/.test(s));
  else {
    // the deepest unit, as attribution picks it
    end = segs.findLastIndex((s) => /^[^:]+\.(?:service|scope)$/.test(s));
    if (end > 0 && segs[end - 1] === 'system.slice') end--;
  }
  return end <= 0 ? '' : `/${segs.slice(0, end).join('/')}`;
}

/**
 * `service plocate-updatedb.service in /memrec-incident-1`: the label, then the nesting unless it is one
 * of the node cgroups `nodes` (the recording's --memory-cgroup); an owner outside the node says so.
 */
export function ownerText(label: string, kind: OwnerKind, ownerCgroup: string | null, cgroup: string | null, nodes: readonly string[] = []): string {
  const scoped = nodes.length > 0 && !nodes.includes('/');
  if (scoped && (kind === 'kernel' || !inNode(ownerCgroup ?? cgroup, nodes))) return `${label} (outside the node)`;
  let nest = nestingOf(kind, ownerCgroup, cgroup);
  const node = scoped ? nodes.find((n) => nest === n || nest.startsWith(`${n}/`)) : undefined;
  if (node !== undefined) nest = nest.slice(node.length);
  return nest === '' ? label : `${label} in ${nest}`;
}

/**
 * An ownerText() cut to `width`: the owner's name stays whole and the place it sits is cut in the middle
 * (`service plocate-updatedb.service in /memrec-…-d146c846`), so two units of one name stay told apart by
 * name and place; a name too long for that is cut in the middle itself.
 */
export function cutOwner(text: string, width: number): string {
  if ([...text].length <= width) return text;
  const at = text.lastIndexOf(' in /');
  if (at > 0) {
    const rest = width - [...text.slice(0, at)].length - 4;
    if (rest >= 8) return `${text.slice(0, at)} in ${truncateMiddle(text.slice(at + 4), rest)}`;
  }
  return truncateMiddle(text, width);
}
