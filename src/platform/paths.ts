import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json, config/, views/ and public/. Found by walking
 * up so the same code works from src/ (tsx) and from dist/src/ (compiled).
 */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'config'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the Fieldbook project root above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
