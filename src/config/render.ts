// The effective configuration as text, JSON or a memrec.yaml, for `memrec config`.
import { OPTIONS, type AnyOptionDef, type RecordConfig } from './schema.js';
import type { LoadedConfig } from './load.js';
import { cleanText } from '../model/text.js';

function text(d: AnyOptionDef, values: RecordConfig): string {
  return (d.format as (v: unknown) => string)(values[d.key]);
}

export function renderTable(cfg: LoadedConfig): string {
  const rows = OPTIONS.map((d) => [d.name, text(d, cfg.values) || '(unset)', cfg.origins[d.key].where] as const);
  const w0 = Math.max(...rows.map((r) => r[0].length), 'option'.length);
  const w1 = Math.min(48, Math.max(...rows.map((r) => r[1].length), 'value'.length));
  const lines = [`${'option'.padEnd(w0)}  ${'value'.padEnd(w1)}  origin`];
  for (const [n, v, o] of rows) lines.push(`${n.padEnd(w0)}  ${v.padEnd(w1)}  ${o}`);
  lines.push('', `configuration file: ${cfg.file ?? `${cfg.values.config} (absent)`}`);
  // values are the user's text (paths, patterns): escaped like every text output
  return lines.map(cleanText).join('\n') + '\n';
}

export interface ConfigJson {
  file: string | null;
  options: Record<string, { value: unknown; text: string; source: string; where: string }>;
}

export function toJson(cfg: LoadedConfig): ConfigJson {
  const options: ConfigJson['options'] = {};
  for (const d of OPTIONS) {
    const o = cfg.origins[d.key];
    options[d.name] = { value: cfg.values[d.key], text: text(d, cfg.values), source: o.source, where: o.where };
  }
  return { file: cfg.file, options };
}

/** A memrec.yaml with every key documented; unset keys stay commented out. */
export function renderYaml(cfg: LoadedConfig): string {
  const out = ['# memrec configuration: keys are the flags of `memrec record`; flags and MEMREC_* variables override them.'];
  for (const d of OPTIONS) {
    if (d.key === 'config') continue;
    out.push('', `# ${d.doc}`);
    const v = cfg.values[d.key];
    if (d.kind === 'patterns') {
      const list = v as string[];
      if (list.length === 0) out.push(`# ${d.name}: []`);
      else out.push(`${d.name}:`, ...list.map((p) => `  - ${JSON.stringify(p)}`));
      continue;
    }
    const t = text(d, cfg.values);
    if (v === null || t === '') out.push(`# ${d.name}:`);
    else out.push(`${d.name}: ${/^[\w./%-]+$/.test(t) ? t : JSON.stringify(t)}`);
  }
  return out.join('\n') + '\n';
}
