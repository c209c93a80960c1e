// YAML text -> document, for memrec.yaml and KubeletConfiguration files alike. The yaml package recurses
// once per nesting level: 5,000 nested brackets exhaust V8's stack. Such a file is refused in one line
// (nested deeper than MAX_YAML_DEPTH), whether the parser noticed or the depth is measured afterwards.
import { isAlias, isCollection, isPair, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** Deeper than any configuration memrec reads: KubeletConfiguration nests 3 levels, memrec.yaml 2. */
export const MAX_YAML_DEPTH = 64;

export type YamlText = { ok: true; doc: Document.Parsed; lines: LineCounter } | { ok: false; line: number | null; reason: string };

const TOO_DEEP = `nested deeper than ${MAX_YAML_DEPTH} levels`;

/** The deepest node below `root`, walked with a stack of its own (a recursive walk would overflow too). */
function tooDeep(root: unknown): Node | null {
  const todo: Array<[unknown, number]> = [[root, 0]];
  while (todo.length > 0) {
    const [n, depth] = todo.pop()!;
    if (isPair(n)) {
      todo.push([n.key, depth], [n.value, depth]);
    } else if (isCollection(n)) {
      if (depth + 1 > MAX_YAML_DEPTH) return n;
      for (const item of n.items) todo.push([item, depth + 1]);
    } else if (isAlias(n)) {
      continue; // aliases are not followed (toJS bounds their expansion)
    }
  }
  return null;
}

/** Parse one YAML document; a syntax error or a too-deep document comes back as a line number and a reason. */
export function parseYamlText(text: string, options: { uniqueKeys?: boolean } = {}): YamlText {
  const lines = new LineCounter();
  try {
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: options.uniqueKeys ?? true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? null;
      // the yaml package appends " at line L, column C:" and a code frame; keep the reason only
      const reason = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { ok: false, line, reason: /Maximum call stack size exceeded/.test(reason) ? TOO_DEEP : reason };
    }
    const deep = tooDeep(doc.contents);
    if (deep !== null) return { ok: false, line: deep.range ? lines.linePos(deep.range[0]).line : null, reason: TOO_DEEP };
    return { ok: true, doc, lines };
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, line: null, reason: TOO_DEEP };
    throw err;
  }
}
