// A child that opens a database read-only and prints its snapshot count, or the error's one line:
// run as another user to check what a non-root reader gets. Usage: node store-reader.js <db>
import { Store } from '../../src/store/store.js';

try {
  const store = Store.open(process.argv[2] ?? '', { readonly: true });
  process.stdout.write(`snapshots ${store.snapshots({ since: 0, until: Number.MAX_SAFE_INTEGER }).length}\n`);
  store.close();
} catch (e) {
  process.stdout.write(`error ${e instanceof Error ? e.message : String(e)}\n`);
}
