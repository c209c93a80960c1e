// Time-axis ticks at even wall-clock steps in the reader's zone (every 10 s, every 15 min, every
// 6 h, every day at midnight...), labelled with seconds only when the step needs them.
import { formatLocal } from './time.js';

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEPS = [S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

export interface TimeTicks {
  /** epoch ms, ascending, inside [t0, t1] */
  ticks: number[];
  step: number;
  labels: string[];
}

/** How far `zone`'s wall clock is ahead of UTC at `t`, read through formatLocal (whole seconds). */
function offsetAt(t: number, zone: string): number {
  const l = formatLocal(t, zone);
  const wall = Date.UTC(+l.slice(0, 4), +l.slice(5, 7) - 1, +l.slice(8, 10), +l.slice(11, 13), +l.slice(14, 16), +l.slice(17, 19));
  return wall - Math.floor(t / S) * S;
}

/** Width in characters of a label at this step over this range: HH:MM:SS, HH:MM, MM-DD HH:MM or MM-DD. */
function labelChars(step: number, oneDay: boolean): number {
  if (step < MIN) return oneDay ? 8 : 14;
  if (step >= DAY) return 5;
  return oneDay ? 5 : 11;
}

export function tickLabel(t: number, step: number, zone: string, oneDay: boolean): string {
  const l = formatLocal(t, zone); // YYYY-MM-DD HH:MM:SS
  if (step >= DAY) return l.slice(5, 10);
  const clock = step < MIN ? l.slice(11, 19) : l.slice(11, 16);
  return oneDay ? clock : `${l.slice(5, 10)} ${clock}`;
}

/**
 * The smallest even step that leaves room for every label: `width` is the axis length and `charWidth`
 * the width of one label character, in the same unit.
 */
export function timeTicks(t0: number, t1: number, zone: string, width: number, charWidth: number): TimeTicks {
  const oneDay = formatLocal(t0, zone).slice(0, 10) === formatLocal(t1, zone).slice(0, 10);
  const span = Math.max(1, t1 - t0);
  const step =
    STEPS.find((s) => {
      const gap = (labelChars(s, oneDay) + 3) * charWidth;
      return (s / span) * width >= gap;
    }) ?? STEPS[STEPS.length - 1]!;
  const ticks: number[] = [];
  // Align in wall time: a 6-hour step falls on 00:00, 06:00... of the zone, whatever its offset from UTC.
  let off = offsetAt(t0, zone);
  let local = Math.ceil((t0 + off) / step) * step;
  for (let guard = 0; guard < 1000; guard++) {
    let t = local - off;
    const now = offsetAt(t, zone);
    if (now !== off) {
      off = now;
      t = local - off;
    }
    if (t > t1) break;
    if (t >= t0) ticks.push(t);
    local += step;
  }
  return { ticks, step, labels: ticks.map((t) => tickLabel(t, step, zone, oneDay)) };
}
