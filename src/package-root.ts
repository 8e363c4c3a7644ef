import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * fleet's own folder, holding bin/, the shipped playbooks/ and templates/. This file is src/package-root.ts
 * in a checkout run through tsx and dist/package-root.js once built: one level below the root either way
 * (the build keeps src/'s layout under dist/, see tsconfig.build.json).
 */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
