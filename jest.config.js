// One jest run over every workspace. ESM throughout (the project is "type": "module"); ts-jest
// transpiles each file on its own (type checking is `tsc -b`, which `npm test` runs first).
const ws = ['protocol', 'hub', 'kiosk-agent', 'simulators', 'test'];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ws.map((w) => `<rootDir>/${w}/src`),
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    // Workspaces import each other by package name; tests run them from source.
    ...Object.fromEntries(ws.map((w) => [`^@xinbao/${w}$`, `<rootDir>/${w}/src/index.ts`])),
    ...Object.fromEntries(ws.map((w) => [`^@xinbao/${w}/(.*)\\.js$`, `<rootDir>/${w}/src/$1.ts`])),
    ...Object.fromEntries(ws.map((w) => [`^@xinbao/${w}/(.*)$`, `<rootDir>/${w}/src/$1.ts`])),
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
