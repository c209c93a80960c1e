// YAML text -> document, for memrec.yaml, MEMREC_REDACT_NAMES and kubelet/k3s/RKE2 configs alike. The yaml
// package composes recursively, once per nesting level: the depth is measured first on its CST (yaml-depth.ts,
// a loop), and a text nested deeper than MAX_YAML_NESTING is refused in one line before it is composed.
import { LineCounter, parseDocument, type Document } from 'yaml';
import { MAX_YAML_NESTING, yamlTooDeep } from './yaml-depth.js';

export type YamlText = { ok: true; doc: Document.Parsed; lines: LineCounter } | { ok: false; line: number | null; reason: string };

/** Parse one YAML document; a syntax error or a too-deep document comes back as a line number and a reason. */
export function parseYamlText(text: string, options: { uniqueKeys?: boolean } = {}): YamlText {
  const deep = yamlTooDeep(text);
  if (deep !== null) return { ok: false, line: deep.line, reason: deep.reason };
  const lines = new LineCounter();
  try {
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: options.uniqueKeys ?? true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? null;
      // the yaml package appends " at line L, column C:" and a code frame; keep the reason only
      const reason = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { ok: false, line, reason };
    }
    return { ok: true, doc, lines };
  } catch (err) {
    // not expected below MAX_YAML_NESTING; refused the same way if the composer still runs out of stack
    if (err instanceof RangeError) return { ok: false, line: null, reason: `nested deeper than ${MAX_YAML_NESTING} levels` };
    throw err;
  }
}
