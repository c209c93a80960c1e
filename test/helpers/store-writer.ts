// A child process that writes snapshots in a loop and reports each committed id on stdout, for the
// two-process and kill -9 tests. Usage: node store-writer.js <db> <count> <firstTakenAt>
import { Store } from '../../src/store/store.js';
import { snapshot } from './snapshots.js';

const [file, count, first] = process.argv.slice(2);
if (file === undefined || count === undefined || first === undefined) {
  process.stderr.write('usage: store-writer.js <db> <count> <firstTakenAt>\n');
  process.exit(2);
}
const store = Store.open(file);
const start = Number(first);
for (let i = 0; i < Number(count); i++) {
  const takenAt = start + i * 1000;
  const id = store.writeSnapshot(snapshot(takenAt, { kind: i % 2 === 0 ? 'scheduled' : 'burst', trigger: `writer ${takenAt}` }));
  process.stdout.write(`${id} ${takenAt}\n`);
}
store.close();
