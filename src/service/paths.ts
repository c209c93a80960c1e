// Where install-service puts things, below a --prefix (a staging root, like DESTDIR) that defaults to /.
import path from 'node:path';

export interface ServicePaths {
  unit: string;
  configDir: string;
  configFile: string;
  stateDir: string;
  /** where systemd moves the state directory of a DynamicUser= service */
  privateStateDir: string;
}

export function servicePaths(prefix: string): ServicePaths {
  const at = (p: string): string => path.join(prefix, p);
  return {
    unit: at('/etc/systemd/system/memrec.service'),
    configDir: at('/etc/memrec'),
    configFile: at('/etc/memrec/memrec.yaml'),
    stateDir: at('/var/lib/memrec'),
    privateStateDir: at('/var/lib/private/memrec'),
  };
}
