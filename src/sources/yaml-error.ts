// One line for a YAML file that does not parse: the line number and the yaml package's reason, without
// its " at line L, column C:" tail and code frame.
import { YAMLParseError } from 'yaml';

export function yamlErrorLine(err: unknown): string {
  const line = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
  const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `${line}${reason}`;
}
