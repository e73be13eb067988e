// One jest run over every workspace. ESM throughout (the project is "type": "module"); ts-jest
// transpiles each file on its own (type checking is `tsc -b`, which `npm test` runs first).
import { readFileSync } from 'node:fs';

const readJson = (file) => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'));
const ws = readJson('./package.json').workspaces;

/**
 * Workspaces import each other by package name and entry point; tests run them from source. Only the
 * entry points a workspace's package.json `exports` names are mapped, as Node and tsc allow only those.
 */
const workspaceEntryPoints = Object.fromEntries(
  ws.flatMap((w) => {
    const { name, exports = {} } = readJson(`./${w}/package.json`);
    return Object.entries(exports).map(([entry, target]) => {
      const source = target.default.replace(/^\.\/dist\//, `<rootDir>/${w}/src/`).replace(/\.js$/, '.ts');
      const specifier = entry === '.' ? name : `${name}/${entry.slice(2)}`;
      return [`^${specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, source];
    });
  }),
);

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ws.map((w) => `<rootDir>/${w}/src`),
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    ...workspaceEntryPoints,
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.base.json' }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
};
