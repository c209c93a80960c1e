import type { Command } from '../command.js';
import { MemrecError } from '../../errors.js';

// PLACEHOLDER: replaced by the issue that builds this command.
export const command: Command = {
  name: 'status',
  summary: '(not built yet)',
  help: 'memrec status: not built yet',
  async run() {
    throw new MemrecError('memrec status: not built yet');
  },
};
