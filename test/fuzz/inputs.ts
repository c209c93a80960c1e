// What the fuzzer feeds the parsers: the real fixture files, mutated (lines dropped, doubled, swapped or cut,
// bytes flipped, numbers made huge, negative, fractional, hex or empty, control and bidi characters inserted),
// plus inputs built from the grammar each file follows and plain random text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { fixturesDir } from '../helpers/paths.js';

/** Every fixture file named `name` (or, for `.ext`, ending in it), as text. */
export function fixtureTexts(name: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && (name.startsWith('.') ? e.name.endsWith(name) : e.name === name) && statSync(p).size < 1 << 20) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(fixturesDir);
  return [...new Set(out)];
}

/** Numbers as a broken or hostile file may hold them. */
export const WEIRD_NUMBERS = [
  '', '0', '-0', '-1', '1.5', '.5', '5.', '1e3', '1e400', '-1e400', '0x1f', '0b11', '0o7', 'NaN', 'Infinity', '-Infinity', ' 12', '12 ',
  '9007199254740993', '18446744073709551615', '9'.repeat(400), '1' + '0'.repeat(309), '7'.repeat(5000), '00012', '+7', '١٢', '１２', '1_000', '2^53',
];

/** Characters that break naive parsers or terminals: NUL, controls, DEL, C1, bidi, separators, a lone surrogate. */
const NASTY = ['\0', '\t', '\n', '\r', '\x1b[31m', '\x07', '\x7f', '\x85', '\u200e', '\u202e', '\u2066', '\u2028', '\ufeff', '\ud800', '\\x1b', ')', '(', ':', ',', '=', ';', ' ', '%', '"', "'", '{', '[', '- ', '&', '*', '!!'];

const piece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.constantFrom(...WEIRD_NUMBERS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

type Op =
  | { kind: 'delete' | 'truncate' | 'dupLine' | 'dropLine' | 'swapLines' | 'number'; at: number; len: number; num: string }
  | { kind: 'insert' | 'flip'; at: number; len: number; text: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete', 'truncate', 'dupLine', 'dropLine', 'swapLines'), at: fc.nat(), len: fc.nat({ max: 40 }), num: fc.constant('') }),
  fc.record({ kind: fc.constant('number'), at: fc.nat(), len: fc.nat({ max: 40 }), num: fc.constantFrom(...WEIRD_NUMBERS) }),
  fc.record({ kind: fc.constantFrom('insert', 'flip'), at: fc.nat(), len: fc.nat({ max: 40 }), text: piece }),
) as fc.Arbitrary<Op>;

function apply(text: string, o: Op): string {
  const at = text.length === 0 ? 0 : o.at % (text.length + 1);
  const lines = text.split('\n');
  const li = o.at % lines.length;
  switch (o.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + o.len);
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + o.text + text.slice(at);
    case 'flip':
      return text.slice(0, at) + o.text + text.slice(at + 1);
    case 'dupLine':
      lines.splice(li, 0, lines[li]!);
      return lines.join('\n');
    case 'dropLine':
      lines.splice(li, 1);
      return lines.join('\n');
    case 'swapLines': {
      const lj = (o.at + o.len) % lines.length;
      [lines[li], lines[lj]] = [lines[lj]!, lines[li]!];
      return lines.join('\n');
    }
    case 'number': {
      // the n-th run of digits (counting from `at`) becomes a weird number
      const runs = [...text.matchAll(/\d+/g)];
      if (runs.length === 0) return text + o.num;
      const r = runs[o.at % runs.length]!;
      return text.slice(0, r.index) + o.num + text.slice(r.index + r[0].length);
    }
  }
}

/** One of `bases`, changed by one to six mutations. */
export function mutated(bases: string[]): fc.Arbitrary<string> {
  if (bases.length === 0) throw new Error('no fixture files to mutate');
  return fc.tuple(fc.constantFrom(...bases), fc.array(op, { minLength: 1, maxLength: 6 })).map(([base, ops]) => ops.reduce(apply, base));
}

/** A number-like token: mostly plausible, sometimes weird. */
export const numberToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 1_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...WEIRD_NUMBERS) },
  { weight: 1, arbitrary: fc.nat({ max: 2000 }).map((n) => '9'.repeat(n + 300)) },
);

/** Text built from `parts` joined by one of `seps`, with nasty pieces mixed in. */
export function tokens(parts: fc.Arbitrary<string>, seps: string[], maxLength = 30): fc.Arbitrary<string> {
  return fc.array(fc.oneof({ weight: 5, arbitrary: parts }, { weight: 1, arbitrary: piece }), { maxLength }).chain((ps) =>
    fc.array(fc.constantFrom(...seps), { minLength: ps.length, maxLength: ps.length }).map((ss) => ps.map((p, i) => p + ss[i]).join('')),
  );
}

/** Any text at all: random units, binary, or nasty pieces glued together. */
export const anyText: fc.Arbitrary<string> = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.array(piece, { maxLength: 40 }).map((a) => a.join('')));

/** Short, printable for a failure message. */
export function shown(input: unknown): string {
  const s = typeof input === 'string' ? input : JSON.stringify(input);
  return JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);
}
