// One source for the flags: each command's option definitions are what its arguments are parsed with
// (defineCommand), and the man page and the bash and zsh completions are made from them. Here they are held
// against the hand-written --help, the real parser (through the real CLI), groff and man with every warning
// on, bash running the completion function, and zsh loading the completion with compinit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COMMANDS, GLOBAL_OPTIONS, loadCommands } from '../src/cli/catalog.js';
import { commonOptions, type OptionDef } from '../src/cli/args.js';
import type { Command } from '../src/cli/command.js';
import { helpOptions, helpSections } from '../src/cli/docs/help-text.js';
import { OPTION_NAMES, envName } from '../src/config/env.js';
import { GENERATED } from '../packaging/docs.js';
import { runMain } from './helpers/run.js';
import { repoRoot } from './helpers/paths.js';
import { requireTool } from './helpers/tools.js';

const commands = await loadCommands();
const byName = new Map(commands.map((c) => [c.name, c]));
const optionsOf = (c: Command): Array<[string, OptionDef]> => Object.entries(c.options);
const flagsOf = (c: Command): string[] => Object.keys(c.options).map((n) => `--${n}`).sort();
const isCommon = (name: string, o: OptionDef): boolean => Object.hasOwn(commonOptions, name) && commonOptions[name as keyof typeof commonOptions] === o;

/** Flags of other programs that help texts mention: the kubelet's (memrec memory), systemctl's (install-service). */
const FOREIGN_FLAGS = new Set(['--eviction-hard', '--eviction-soft', '--config-dir', '--now']);

test('every command of memrec --help is in the catalog the docs are made from, and the other way round', async () => {
  const r = await runMain(['--help']);
  assert.equal(r.code, 0);
  const listed = [...r.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
  assert.deepEqual(listed, commands.map((c) => c.name));
  assert.deepEqual(Object.keys(COMMANDS), commands.map((c) => c.name));
  for (const o of [...GLOBAL_OPTIONS.map((g) => g.name), ...Object.keys(commonOptions)]) assert.match(r.stdout, new RegExp(`--${o}\\b`), `memrec --help names --${o}`);
});

test("each command's --help documents exactly the options its parser takes, with their value names", async (t) => {
  for (const c of commands) {
    await t.test(c.name, () => {
      const h = helpSections(c.help);
      const documented = helpOptions(h.options);
      const own = optionsOf(c).filter(([n, o]) => !isCommon(n, o));
      // no accepted flag left undocumented, no documented flag the parser would refuse
      assert.deepEqual(documented.map((d) => d.long).sort(), own.map(([n]) => n).sort(), `${c.name}: the Options section of --help against the option definitions`);
      for (const d of documented) {
        const o = c.options[d.long]!;
        assert.equal(d.value, o.type === 'string' ? (o.value ?? null) : null, `${c.name} --${d.long}: the value name in --help`);
        assert.equal(d.short, o.short === undefined ? null : `-${o.short}`, `${c.name} --${d.long}: the short option in --help`);
      }
      // the usage line names only flags this command takes
      for (const m of h.usage.join('\n').matchAll(/--([a-z0-9][a-z0-9-]*)/g)) assert.ok(Object.hasOwn(c.options, m[1]!), `${c.name}: usage names --${m[1]}, which it does not take`);
      // the prose names only flags some memrec command takes (or another program's, named as such)
      const anyFlag = new Set(commands.flatMap(flagsOf));
      for (const m of c.help.matchAll(/(?<![\w-])--[a-z0-9][a-z0-9-]*/g)) assert.ok(anyFlag.has(m[0]) || FOREIGN_FLAGS.has(m[0]), `${c.name} --help mentions ${m[0]}, which no memrec command takes`);
      // every option's row says what it does and how its value is named
      for (const [n, o] of optionsOf(c)) {
        assert.ok(o.doc.trim().length > 0 && !o.doc.includes('\n'), `${c.name} --${n}: a one-line doc`);
        if (o.type === 'string') assert.match(o.value ?? '', /^[A-Z][A-Z|]*$/, `${c.name} --${n}: a value name`);
        else assert.equal(o.value, undefined, `${c.name} --${n}: a boolean takes no value`);
      }
    });
  }
});

test('the real CLI accepts every defined option: an unknown one after it is the one refused', async (t) => {
  for (const c of commands) {
    await t.test(c.name, async () => {
      for (const [n, o] of optionsOf(c)) {
        if (n === 'help') continue; // --help answers before parsing
        const value = o.type === 'string' ? [o.choices?.[0] ?? 'x'] : [];
        for (const spelled of o.short === undefined ? [`--${n}`] : [`--${n}`, `-${o.short}`]) {
          const r = await runMain([c.name, spelled, ...value, '--no-such-option']);
          assert.equal(r.code, 2, `${c.name} ${spelled}: ${r.stderr}`);
          assert.match(r.stderr, /Unknown option '--no-such-option'/, `${c.name} ${spelled} ${value.join(' ')} was refused instead`);
          assert.equal(r.stdout, '');
        }
      }
    });
  }
});

test('a choice option refuses any other word, listing exactly the choices its definition offers to completion', async () => {
  let checked = 0;
  for (const c of commands) {
    for (const [n, o] of optionsOf(c)) {
      if (o.choices === undefined) continue;
      const before = c.name === 'export' ? ['--out', 'x.html'] : []; // export checks --out first
      const r = await runMain([c.name, ...before, `--${n}`, 'bogus']);
      assert.equal(r.code, 2, `${c.name} --${n} bogus: ${r.stderr}`);
      assert.equal(r.stderr, `memrec ${c.name}: --${n} "bogus": expected one of ${o.choices.join(', ')}\n`);
      checked++;
    }
  }
  assert.ok(checked >= 9, `${checked} choice options`);
});

test('the commands parse through defineCommand, never with a spec of their own', () => {
  const dir = path.join(repoRoot, 'src', 'cli', 'commands');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(src, /(?<![.\w])parse\(|parseArgs/, `${f} parses its arguments itself; give defineCommand the options`);
    assert.match(src, /defineCommand\(\{/, `${f}: export const command = defineCommand({...})`);
  }
  for (const c of commands) assert.equal(typeof c.options, 'object', c.name);
});

// ---- the man page ----

function memrec(args: string[]): string {
  return spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'bin.js'), ...args], { encoding: 'utf8' }).stdout;
}

test('memrec man is the page the build wrote, and groff and man render it without a warning', () => {
  requireTool('groff');
  requireTool('man');
  const page = memrec(['man']);
  assert.equal(readFileSync(path.join(repoRoot, 'dist', GENERATED.man), 'utf8'), page, 'npm run build writes dist/man/memrec.1 from the same generator');
  const g = spawnSync('groff', ['-man', '-ww', '-Tutf8', '-z'], { input: page, encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stderr, '', 'groff -ww warnings');
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-man-'));
  try {
    const file = path.join(dir, 'memrec.1');
    writeFileSync(file, page);
    const m = spawnSync('man', ['--warnings', '-l', file], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100' } });
    assert.equal(m.status, 0, m.stderr);
    assert.equal(m.stderr, '', 'man --warnings');
    assert.match(m.stdout, /^MEMREC\(1\)/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the man page has every section, every command with every option, every MEMREC_ variable and the files', () => {
  // rendered wide, without hyphenation or overstriking, so each option reads as typed
  const r = spawnSync('groff', ['-man', '-Tutf8', '-rLL=250n', '-rHY=0', '-P-cbou'], { input: memrec(['man']), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const text = r.stdout.replace(/\u2010|\u2212/g, '-');
  const sections = [...text.matchAll(/^([A-Z][A-Z ]+)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']);
  const section = (name: string, next: string): string => text.slice(text.indexOf(`\n${name}\n`), text.indexOf(`\n${next}\n`));
  const heads = [...text.matchAll(/^ {3}memrec ([a-z-]+)$/gm)].map((m) => m[1]);
  assert.deepEqual(heads, commands.map((c) => c.name), 'one subsection per command, in order');
  const options = section('OPTIONS', 'COMMANDS');
  for (const [i, c] of commands.entries()) {
    const start = text.indexOf(`\n   memrec ${c.name}\n`);
    const end = i + 1 < commands.length ? text.indexOf(`\n   memrec ${commands[i + 1]!.name}\n`) : text.indexOf('\nENVIRONMENT\n');
    const body = text.slice(start, end);
    for (const [n, o] of optionsOf(c)) {
      // an option every command shares is described once, under OPTIONS
      const where = isCommon(n, o) ? options : body;
      const term = `--${n}${o.type === 'string' ? ` ${o.value}` : ''}`;
      // the tag of its paragraph (a short one shares its line with the description)
      assert.match(where, new RegExp(`^ {7}(-${o.short ?? 'NONE'}, )?${term.replace(/[|]/g, '\\|')}( |$)`, 'm'), `${c.name}: ${term}`);
      if (o.choices !== undefined) assert.ok(body.includes(o.choices.join(', ')), `${c.name} --${n}: its choices`);
    }
    if (c.operand !== undefined) assert.ok(body.includes(c.operand.choices.join(' or ')), `${c.name}: its operand`);
  }
  const env = section('ENVIRONMENT', 'FILES');
  for (const n of OPTION_NAMES) assert.match(env, new RegExp(`^ {7}${envName(n)}$`, 'm'));
  const files = section('FILES', 'EXIT STATUS');
  for (const f of ['/var/lib/memrec/memrec.db', '/etc/memrec/memrec.yaml']) assert.ok(files.includes(f), f);
  const exit = section('EXIT STATUS', 'EXAMPLES');
  for (const s of ['0', '1', '2']) assert.match(exit, new RegExp(`^ {7}${s}\\s`, 'm'));
  assert.match(section('EXAMPLES', 'SEE ALSO'), /memrec culprits --since 02:00 --until 06:00/);
});

// ---- bash ----

/** COMPREPLY of _memrec for these words (the last one being completed), with the script sourced in a fresh bash. */
function bashComplete(script: string, words: string[], cwd?: string): string[] {
  const driver = [
    'source "$1"; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()',
    '_memrec memrec "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    '[[ $(complete -p memrec) == "complete -F _memrec memrec" ]] || { echo "no complete -F _memrec memrec" >&2; exit 3; }',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', driver, 'bash', script, ...words], { encoding: 'utf8', ...(cwd === undefined ? {} : { cwd }) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash completion: the commands, each command\'s options exactly, and the values of choice, list and file options', async (t) => {
  const text = memrec(['completion', 'bash']);
  assert.equal(readFileSync(path.join(repoRoot, 'dist', GENERATED.bash), 'utf8'), text, 'npm run build writes dist/completion/memrec.bash');
  assert.equal(spawnSync('bash', ['-n'], { input: text }).status, 0, 'bash -n');
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-bash-'));
  try {
    const script = path.join(dir, 'memrec.bash');
    writeFileSync(script, text);
    assert.deepEqual(bashComplete(script, ['memrec', '']), commands.map((c) => c.name));
    assert.deepEqual(bashComplete(script, ['memrec', 'cu']), ['culprits']);
    assert.deepEqual(bashComplete(script, ['memrec', '--']), GLOBAL_OPTIONS.map((o) => `--${o.name}`));
    for (const c of commands) {
      await t.test(c.name, () => {
        assert.deepEqual(bashComplete(script, ['memrec', c.name, '--']).sort(), flagsOf(c), `${c.name} --<TAB>`);
        for (const [n, o] of optionsOf(c)) {
          if (o.type !== 'string') continue;
          const after = bashComplete(script, ['memrec', c.name, `--${n}`, '']);
          if (o.choices !== undefined) {
            assert.deepEqual(after, [...o.choices], `${c.name} --${n} <TAB>`);
            // --opt=<TAB>, as bash splits it at =
            assert.deepEqual(bashComplete(script, ['memrec', c.name, `--${n}`, '=', '']), [...o.choices], `${c.name} --${n}=<TAB>`);
            const last = o.choices.at(-1)!;
            assert.deepEqual(bashComplete(script, ['memrec', c.name, `--${n}`, last.slice(0, 1)]), o.choices.filter((w) => w.startsWith(last[0]!)));
            if (o.list) assert.deepEqual(bashComplete(script, ['memrec', c.name, `--${n}`, `${o.choices[0]},`]), o.choices.map((w) => `${o.choices![0]},${w}`), `${c.name} --${n} a,<TAB>`);
          } else if (o.complete === undefined) assert.deepEqual(after, [], `${c.name} --${n} <TAB>: a value nothing can list`);
        }
        if (c.operand !== undefined) assert.deepEqual(bashComplete(script, ['memrec', c.name, '']), [...c.operand.choices]);
      });
    }
    // file and directory values, from the directory bash runs in
    mkdirSync(path.join(dir, 'night.d'));
    writeFileSync(path.join(dir, 'night.html'), '');
    assert.deepEqual(bashComplete(script, ['memrec', 'export', '--out', 'nig'], dir).sort(), ['night.d', 'night.html']);
    assert.deepEqual(bashComplete(script, ['memrec', 'export', '-o', 'nig'], dir).sort(), ['night.d', 'night.html']);
    assert.deepEqual(bashComplete(script, ['memrec', 'memory', '--host-root', 'nig'], dir), ['night.d']);
    assert.deepEqual(bashComplete(script, ['memrec', 'export', '--out=nig'], dir).sort(), ['--out=night.d', '--out=night.html'], 'COMP_WORDBREAKS without =');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- zsh ----

function zsh(script: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('zsh', ['-f', '-c', script], { encoding: 'utf8' });
}

test('zsh completion: parses, compinit binds _memrec to memrec, and each command hands _arguments exactly its options', async (t) => {
  requireTool('zsh');
  const text = memrec(['completion', 'zsh']);
  assert.equal(readFileSync(path.join(repoRoot, 'dist', GENERATED.zsh), 'utf8'), text, 'npm run build writes dist/completion/_memrec');
  assert.match(text, /^#compdef memrec\n/);
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-zsh-'));
  try {
    writeFileSync(path.join(dir, '_memrec'), text);
    assert.equal(spawnSync('zsh', ['-n', path.join(dir, '_memrec')], { encoding: 'utf8' }).status, 0, 'zsh -n');
    // compinit as a user's .zshrc runs it; then the completion function is run with _arguments, _describe and
    // compadd standing in for the completion widgets, printing what they are given
    const setup = [
      `fpath=(${dir} $fpath)`,
      `autoload -Uz compinit && compinit -u -D -d ${dir}/zcompdump`,
      '[[ $_comps[memrec] == _memrec ]] || { print -u2 "compinit did not bind _memrec: $_comps[memrec]"; exit 3 }',
      '_arguments() { print -rl -- "$@" }',
      '_describe() { print -rl -- ${(P)${@[-1]}} }',
      'compadd() { print -rl -- "${@[2,-1]}" }',
    ].join('\n');
    const run = (words: string[], current: number): string[] => {
      const r = zsh(`${setup}\nwords=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${current}; PREFIX='${words[current - 1]}'\n_memrec`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    assert.deepEqual(run(['memrec', ''], 2).map((l) => l.split(':')[0]), commands.map((c) => c.name));
    assert.deepEqual(run(['memrec', '--'], 2), GLOBAL_OPTIONS.map((o) => `--${o.name}`));
    for (const c of commands) {
      await t.test(c.name, () => {
        const specs = run(['memrec', c.name, '--'], 3).slice(2); // after -s -S
        const names = specs.flatMap((s) => {
          const m = /^(?:\([^)]*\))?\*?(--?[a-z0-9-]+)/.exec(s);
          return m === null ? [] : [m[1]!];
        });
        const expected = optionsOf(c).flatMap(([n, o]) => (o.short === undefined ? [`--${n}`] : [`-${o.short}`, `--${n}`]));
        assert.deepEqual(names.sort(), expected.sort(), `${c.name}: the options handed to _arguments`);
        for (const [n, o] of optionsOf(c)) {
          const spec = specs.find((s) => new RegExp(`^(\\([^)]*\\))?\\*?--${n}[=[]`).test(s))!;
          if (o.type === 'string') assert.ok(spec.includes(`--${n}=[`), `${c.name} --${n} takes a value: ${spec}`);
          if (o.choices !== undefined) assert.ok(spec.endsWith(o.list ? ` ${o.choices.join(' ')}` : `(${o.choices.join(' ')})`), `${c.name} --${n}: its choices: ${spec}`);
          if (o.multiple) assert.ok(spec.startsWith('*'), `${c.name} --${n} repeats`);
        }
        if (c.operand !== undefined) assert.ok(specs.includes(`1:${c.operand.name}:(${c.operand.choices.join(' ')})`), `${c.name}: its operand`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the catalog loads every command once', () => {
  assert.equal(byName.size, commands.length);
});
