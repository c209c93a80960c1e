// How deep a YAML text nests, measured before it is composed into values. The yaml package composes
// recursively, once per level: a few hundred nested brackets exhaust V8's stack, and after one such overflow
// the next deep parse in the same process aborts node itself ("FATAL ERROR: RegExpCompiler Allocation
// failed"): a kubelet config of 5,000 brackets took the recorder down at its first snapshot, at every
// restart. yaml's CST parser is a loop with a stack of its own, so the depth is measured on its tokens first.
import { Parser, type CST } from 'yaml';

/** Far deeper than any configuration (memrec.yaml nests 2 levels, a KubeletConfiguration 3), far below an overflow. */
export const MAX_YAML_NESTING = 64;

/** The line of the first collection of `text` that lies deeper than `max`, and why, else null. */
export function yamlTooDeep(text: string, max = MAX_YAML_NESTING): { line: number; reason: string } | null {
  const todo: Array<[CST.Token | null | undefined, number]> = [];
  for (const doc of new Parser().parse(text)) todo.push([doc, 0]);
  while (todo.length > 0) {
    const [t, depth] = todo.pop()!;
    if (!t) continue;
    switch (t.type) {
      case 'document':
        todo.push([t.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > max) return { line: lineOf(text, t.offset), reason: `nested deeper than ${max} levels` };
        for (const item of t.items) {
          if ('key' in item) todo.push([item.key, depth + 1]);
          todo.push([item.value, depth + 1]);
        }
        break;
      default:
        break;
    }
  }
  return null;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
