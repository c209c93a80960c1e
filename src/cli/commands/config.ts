import type { Command } from '../command.js';
import { MemrecError } from '../../errors.js';

// PLACEHOLDER: replaced by the issue that builds this command.
export const command: Command = {
  name: 'config',
  summary: '(not built yet)',
  help: 'memrec config: not built yet',
  async run() {
    throw new MemrecError('memrec config: not built yet');
  },
};
