// The zsh completion of memrec, made from the commands' option definitions: `memrec completion zsh`, and
// dist/completion/_memrec at build time (/usr/share/zsh/vendor-completions/_memrec in the .deb).
import { GLOBAL_OPTIONS } from '../catalog.js';
import type { Command } from '../command.js';
import type { OptionDef } from '../args.js';

/** A single-quoted zsh word. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Text inside an _arguments [description] or a _describe entry: brackets and colons are its syntax. */
function descText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1');
}

function plain(w: string): string {
  if (!/^[A-Za-z0-9_.,/@%+=-]+$/.test(w)) throw new Error(`not a plain word for completion: ${JSON.stringify(w)}`);
  return w;
}

/** The _arguments spec of one option: `--format=[doc]:F:(table json)`, `(-o --out)`{-o+,--out=}`[doc]:FILE:_files`. */
export function zshSpec(name: string, o: OptionDef): string {
  const desc = `[${descText(o.doc)}]`;
  let arg = '';
  if (o.type === 'string') {
    const value = descText(o.value ?? 'value');
    let action = ' ';
    if (o.choices !== undefined) {
      const ws = o.choices.map(plain);
      action = o.list ? `_values -s , ${sq(value)} ${ws.join(' ')}` : `(${ws.join(' ')})`;
    } else if (o.complete === 'file') action = '_files';
    else if (o.complete === 'dir') action = '_files -/';
    arg = `:${value}:${action}`;
  }
  const suffix = o.type === 'string' ? '=' : '';
  const repeat = o.multiple ? '*' : '';
  if (o.short === undefined) return sq(`${repeat}--${name}${suffix}${desc}${arg}`);
  const shortSuffix = o.type === 'string' ? '+' : '';
  return `${sq(`(-${o.short} --${name})`)}{-${o.short}${shortSuffix},--${name}${suffix}}${sq(`${desc}${arg}`)}`;
}

export function zshCompletion(commands: readonly Command[]): string {
  const out: string[] = [
    '#compdef memrec',
    '# zsh completion for memrec; generated from its option definitions (memrec completion zsh), do not edit',
    '',
    'local -a memrec_commands',
    'memrec_commands=(',
    // name:description; only a colon in the name would need quoting
    ...commands.map((c) => `  ${sq(`${plain(c.name)}:${c.summary}`)}`),
    ')',
    'if (( CURRENT == 2 )); then',
    '  if [[ $PREFIX == -* ]]; then',
    `    compadd -- ${GLOBAL_OPTIONS.map((o) => `--${o.name}`).join(' ')}`,
    '  else',
    "    _describe -t commands 'memrec command' memrec_commands",
    '  fi',
    '  return',
    'fi',
    'local cmd=$words[2]',
    '# the command line from the command on, as _arguments expects it',
    'shift words',
    '(( CURRENT-- ))',
    'curcontext="${curcontext%:*:*}:memrec-$cmd:"',
    'case $cmd in',
  ];
  for (const c of commands) {
    const specs = Object.entries(c.options).map(([n, o]) => zshSpec(n, o));
    if (c.operand !== undefined) specs.push(sq(`1:${descText(c.operand.name)}:(${c.operand.choices.map(plain).join(' ')})`));
    out.push(`  ${c.name})`, '    _arguments -s -S \\', ...specs.map((s, i) => `      ${s}${i === specs.length - 1 ? '' : ' \\'}`), '    ;;');
  }
  out.push('  *) return 1 ;;', 'esac', '');
  return out.join('\n');
}
