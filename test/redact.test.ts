import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REDACT_RULES, redactArgs, withExtraSecretNames } from '../src/model/redact.js';

// [argv, expected] — real-world command lines. Secrets go, everything else stays byte for byte.
const redacted: Array<[string[], string]> = [
  [['mysql', '-uroot', '-psecret', 'shop'], 'mysql -uroot -p*** shop'],
  [['/usr/bin/mysqldump', '--user=root', '--password=hunter2', 'db'], '/usr/bin/mysqldump --user=root --password=*** db'],
  [['mariadb', '--password', 's3cr3t', 'db'], 'mariadb --password *** db'],
  [['curl', '-u', 'alice:wonderland', 'https://example.com'], 'curl -u alice:*** https://example.com'],
  [['curl', '-ualice:wonderland', 'https://example.com'], 'curl -ualice:*** https://example.com'],
  [['curl', '--user=alice:wonderland', 'https://example.com'], 'curl --user=alice:*** https://example.com'],
  [['curl', '-H', 'Authorization: Bearer abc.def.ghi', 'https://api'], 'curl -H Authorization: Bearer *** https://api'],
  [['curl', '-H', 'X-Api-Key: 1234', 'https://api'], 'curl -H X-Api-Key: *** https://api'],
  [['psql', 'postgresql://app:p4ss@db.internal:5432/shop'], 'psql postgresql://app:***@db.internal:5432/shop'],
  [['java', '-Dpassword=x', '-jar', 'app.jar'], 'java -Dpassword=*** -jar app.jar'],
  [['java', '-Djavax.net.ssl.keyStorePassword=changeit', '-cp', 'a.jar', 'Main'], 'java -Djavax.net.ssl.keyStorePassword=*** -cp a.jar Main'],
  [['env', 'DB_PASSWORD=x', 'AWS_SECRET_ACCESS_KEY=abc', 'GITHUB_TOKEN=t', 'app'], 'env DB_PASSWORD=*** AWS_SECRET_ACCESS_KEY=*** GITHUB_TOKEN=*** app'],
  [['app', '--api-key', 'k-123'], 'app --api-key ***'],
  [['app', '--apiKey=k-123'], 'app --apiKey=***'],
  [['app', '--client-secret=abc', '--private_key=xyz'], 'app --client-secret=*** --private_key=***'],
  [['sshpass', '-p', 'hunter2', 'ssh', 'host'], 'sshpass -p *** ssh host'],
  [['redis-cli', '-h', 'cache', '-a', 'hunter2', 'ping'], 'redis-cli -h cache -a *** ping'],
  [['docker', 'login', '-u', 'bob', '-p', 'hunter2', 'registry.example.com'], 'docker login -u bob -p *** registry.example.com'],
  [['smbclient', '//srv/share', '-U', 'bob%hunter2'], 'smbclient //srv/share -U bob%***'],
  [['mount', '-t', 'cifs', '-o', 'username=bob,password=hunter2,uid=0', '//srv/s', '/mnt'], 'mount -t cifs -o username=bob,password=***,uid=0 //srv/s /mnt'],
  [['wget', 'https://x.example/f?token=abcd&x=1'], 'wget https://x.example/f?token=***&x=1'],
  [['git', 'clone', 'https://oauth2:glpat-abcdefghij0123456789@gitlab.example/x.git'], 'git clone https://oauth2:***@gitlab.example/x.git'],
  [['kubectl', '--token', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl'], 'kubectl --token ***'],
  [['app', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl'], 'app ***'],
  [['aws', 's3', 'ls', '--access', 'AKIAIOSFODNN7EXAMPLE'], 'aws s3 ls --access ***'],
  [['app', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], 'app ***'],
  [['app', 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'], 'app ***'],
  [['sh', '-c', 'mysqldump -uroot -psecret shop | gzip > /backup/shop.gz'], 'sh -c mysqldump -uroot -p*** shop | gzip > /backup/shop.gz'],
  [['bash', '-c', 'PGPASSWORD=hunter2 psql -h db shop'], 'bash -c PGPASSWORD=*** psql -h db shop'],
  [['openssl', 'enc', '-aes256', '-pass', 'pass:hunter2', '-in', 'f'], 'openssl enc -aes256 -pass *** -in f'],
  [['sudo', 'mysql', '-psecret'], 'sudo mysql -p***'],
  [['redis-server', '*:6379', '--requirepass', 'hunter2'], 'redis-server *:6379 --requirepass ***'],
  [['app', '--pwd=hunter2'], 'app --pwd=***'],
];

// Non-secrets that look close to secrets: must be kept intact.
const kept: string[][] = [
  ['mysql', '-p', 'shop'], // -p alone prompts; "shop" is the database
  ['mysql', '-P3306', '-h', 'db'],
  ['docker', 'run', '-p', '8080:80', 'nginx'],
  ['ssh', '-p', '2222', 'host'],
  ['nc', '-l', '-p', '8080'],
  ['kubelet', '--anonymous-auth=false', '--authorization-mode=Webhook', '--authentication-token-webhook=true'],
  ['kube-apiserver', '--token-auth-file=/etc/kubernetes/tokens.csv', '--tls-private-key-file=/etc/k/apiserver.key'],
  ['app', '--password-file', '/run/secrets/db'],
  ['env', 'PWD=/home/bob', 'OLDPWD=/tmp', 'ls'],
  ['git', 'log', '--author=bob'],
  ['containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', '3f1c9a7b2e4d6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a', '-address', '/run/containerd/containerd.sock'],
  ['/usr/bin/updatedb.mlocate'],
  ['java', '-cp', '/opt/app/lib/spring-boot-3.2.1.jar:/opt/app/lib/jackson-databind-2.15.3.jar', 'org.springframework.boot.loader.JarLauncher'],
  ['node', '/srv/app/node_modules/.bin/next', 'start', '--port', '3000'],
  ['curl', '-u', 'alice', 'https://example.com'],
  ['curl', 'https://example.com/path/to/file'],
  ['kubelet', '--eviction-hard=memory.available<500Mi,nodefs.available<10%', '--pod-manifest-path=/etc/kubernetes/manifests'],
  ['sleep', '600'],
  ['postgres', '-c', 'password_encryption=scram-sha-256', '-c', 'shared_buffers=256MB'],
  ['app', '--bypass=yes', '--author=x', '--pass-count=3x'], // `pass-count` matches `pass`: see below
];

test('secrets in real-world command lines are redacted', () => {
  for (const [argv, expected] of redacted) assert.equal(redactArgs(argv), expected, argv.join(' '));
});

test('non-secrets are kept intact', () => {
  for (const argv of kept.slice(0, -1)) assert.equal(redactArgs(argv), argv.join(' '), argv.join(' '));
  // Name matching is by whole word: `bypass` and `author` stay, `pass-count` is a pass word and goes.
  assert.equal(redactArgs(kept[kept.length - 1]!), 'app --bypass=yes --author=x --pass-count=***');
});

test('extra secret names from the config extend the defaults', () => {
  const rules = withExtraSecretNames(['ldap_?bind']);
  assert.equal(redactArgs(['app', '--ldap-bind=cn=admin'], rules), 'app --ldap-bind=***');
  assert.equal(redactArgs(['app', '--ldap-bind=cn=admin']), 'app --ldap-bind=cn=admin');
  assert.equal(redactArgs(['app', '--password=x'], rules), 'app --password=***');
});

test('entropy redaction can be switched off; name rules still apply', () => {
  const rules = { ...DEFAULT_REDACT_RULES, entropy: false };
  assert.equal(redactArgs(['app', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], rules), 'app wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  assert.equal(redactArgs(['app', '--token=abc'], rules), 'app --token=***');
});

test('an empty argv is an empty string', () => {
  assert.equal(redactArgs([]), '');
});

test('strong secret words count at the end of a glued name, short ones do not', () => {
  assert.equal(redactArgs(['env', 'PGPASSWORD=x', 'NGROK_AUTHTOKEN=y', 'app']), 'env PGPASSWORD=*** NGROK_AUTHTOKEN=*** app');
  assert.equal(redactArgs(['app', '--bypass=x', '--oauth=y']), 'app --bypass=x --oauth=y');
});
