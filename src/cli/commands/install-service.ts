import type { Command } from '../command.js';
import { MemrecError } from '../../errors.js';

// PLACEHOLDER: replaced by the issue that builds this command.
export const command: Command = {
  name: 'install-service',
  summary: '(not built yet)',
  help: 'memrec install-service: not built yet',
  async run() {
    throw new MemrecError('memrec install-service: not built yet');
  },
};
