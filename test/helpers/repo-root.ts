/** The repository's root, found from a test file's own URL (under src/ through tsx, or compiled under dist/). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `fromUrl` that holds bench/run.mjs. */
export function repoRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  while (!existsSync(join(dir, 'bench', 'run.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find bench/run.mjs above ${fromUrl}`);
    dir = parent;
  }
  return dir;
}
