// The bash completion of memrec, made from the commands' option definitions: `memrec completion bash`, and
// dist/completion/memrec.bash at build time (/usr/share/bash-completion/completions/memrec in the .deb).
import { GLOBAL_OPTIONS } from '../catalog.js';
import type { Command } from '../command.js';
import type { OptionDef } from '../args.js';

/** A word list for the script, single-quoted (option names and choices are plain words; checked anyway). */
function words(ws: readonly string[]): string {
  for (const w of ws) if (!/^[A-Za-z0-9_.,:/@%+=-]+$/.test(w)) throw new Error(`not a plain word for completion: ${JSON.stringify(w)}`);
  return `'${ws.join(' ')}'`;
}

/** The `case "$prev"` arms of one command: what follows each option that takes a value. */
function valueArms(c: Command): string[] {
  const arms: string[] = [];
  const none: string[] = [];
  for (const [name, o] of Object.entries(c.options) as Array<[string, OptionDef]>) {
    if (o.type !== 'string') continue;
    const pat = o.short === undefined ? `--${name}` : `--${name}|-${o.short}`;
    if (o.choices !== undefined) arms.push(`        ${pat}) _memrec_words ${words(o.choices)} ${o.list ? 1 : 0}; return ;;`);
    else if (o.complete === 'file') arms.push(`        ${pat}) _memrec_files -f; return ;;`);
    else if (o.complete === 'dir') arms.push(`        ${pat}) _memrec_files -d; return ;;`);
    else none.push(pat);
  }
  // a value is expected that nothing can list (a time, a size): offer nothing rather than options
  if (none.length > 0) arms.push(`        ${none.join('|')}) return ;;`);
  return arms;
}

export function bashCompletion(commands: readonly Command[]): string {
  const names = commands.map((c) => c.name);
  const out: string[] = [
    '# bash completion for memrec; generated from its option definitions (memrec completion bash), do not edit',
    '',
    '# _memrec_words WORDS LIST: the words that complete $cur; LIST=1: $cur is a comma-separated list, the last one completes',
    '_memrec_words() {',
    '    local cur=$_memrec_cur pre=$_memrec_eq',
    '    if [[ $2 == 1 && $cur == *,* ]]; then pre+=${cur%,*},; cur=${cur##*,}; fi',
    '    local w',
    '    COMPREPLY=()',
    '    for w in $1; do [[ $w == "$cur"* ]] && COMPREPLY+=("$pre$w"); done',
    '    [[ $2 == 1 ]] && compopt -o nospace 2>/dev/null',
    '    return 0',
    '}',
    '',
    '# _memrec_files -f|-d: file or directory names',
    '_memrec_files() {',
    '    local IFS=$\'\\n\'',
    '    compopt -o filenames 2>/dev/null',
    '    COMPREPLY=($(compgen -P "$_memrec_eq" "$1" -- "$_memrec_cur"))',
    '}',
    '',
    '_memrec() {',
    '    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts operand=',
    '    # --opt=value: bash splits the word at = (COMP_WORDBREAKS), or not',
    '    _memrec_eq=',
    '    if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}',
    '    elif [[ $cur == --*=* ]]; then prev=${cur%%=*}; _memrec_eq=$prev=; cur=${cur#*=}; fi',
    '    _memrec_cur=$cur',
    '    COMPREPLY=()',
    '    if ((COMP_CWORD == 1)); then',
    `        if [[ $cur == -* ]]; then _memrec_words ${words(GLOBAL_OPTIONS.map((o) => `--${o.name}`))} 0`,
    `        else _memrec_words ${words(names)} 0; fi`,
    '        return',
    '    fi',
    '    case ${COMP_WORDS[1]} in',
  ];
  for (const c of commands) {
    const flags = Object.keys(c.options).map((n) => `--${n}`);
    out.push(`    ${c.name})`, `        opts=${words(flags)}`);
    if (c.operand !== undefined) out.push(`        operand=${words(c.operand.choices)}`);
    out.push('        case $prev in', ...valueArms(c), '        esac', '        ;;');
  }
  out.push(
    '    *) return ;;',
    '    esac',
    '    if [[ -n $operand && $cur != -* ]]; then _memrec_words "$operand" 0; else _memrec_words "$opts" 0; fi',
    '}',
    '',
    'complete -F _memrec memrec',
    '',
  );
  return out.join('\n');
}
