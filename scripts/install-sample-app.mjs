// Installs sample-app's own dependencies so that a root `npm ci` gives a tree where
// `npm test` (root + sample app) and `npm run deploy` work. Skipped when sample-app
// has no lock file yet or SKIP_SAMPLE_APP_INSTALL is set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'sample-app');
if (process.env.SKIP_SAMPLE_APP_INSTALL || !existsSync(join(appDir, 'package-lock.json'))) {
  process.exit(0);
}
const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: appDir, stdio: 'inherit' });
process.exit(result.status ?? 1);
