import type { Command } from '../command.js';
import { MemrecError } from '../../errors.js';

// PLACEHOLDER: replaced by the issue that builds this command.
export const command: Command = {
  name: 'export',
  summary: '(not built yet)',
  help: 'memrec export: not built yet',
  async run() {
    throw new MemrecError('memrec export: not built yet');
  },
};
