// The borders between the workspaces, checked by `npm test` (docs/adr/0010-package-borders.md).
// Paths are resolved through the workspaces' package.json `exports`, so a workspace import lands on
// the other workspace's folder (its dist/, which `tsc -b` builds before this runs).
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'protocol-is-the-base',
      comment: 'protocol is the wire formats everyone shares: it imports nothing of ours.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(hub|kiosk-agent|simulators|demo|test)/' },
    },
    {
      name: 'hub-not-agent',
      comment: 'The hub and the kiosk agent meet only on the wire (protocol), never in code.',
      severity: 'error',
      from: { path: '^hub/' },
      to: { path: '^kiosk-agent/' },
    },
    {
      name: 'agent-not-hub',
      comment: 'The hub and the kiosk agent meet only on the wire (protocol), never in code.',
      severity: 'error',
      from: { path: '^kiosk-agent/' },
      to: { path: '^hub/' },
    },
    {
      name: 'simulators-are-pure',
      comment: 'A simulator stands in for a device or a partner: it knows the protocol, not our programs.',
      severity: 'error',
      from: { path: '^simulators/' },
      to: { path: '^(hub|kiosk-agent|demo|test)/' },
    },
    {
      name: 'demo-starts-programs',
      comment: 'The demo launcher starts the programs and reads their ready lines; it imports none of them.',
      severity: 'error',
      from: { path: '^demo/' },
      to: { path: '^(protocol|hub|kiosk-agent|simulators|test)/' },
    },
    {
      name: 'nothing-imports-the-demo',
      severity: 'error',
      from: { pathNot: '^demo/' },
      to: { path: '^demo/' },
    },
    {
      name: 'nothing-imports-the-tests',
      comment: 'test/ uses everything; nothing outside it uses test/.',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'hub/src/domain decides; it does no I/O and knows no framework, database or queue.',
      severity: 'error',
      from: { path: '^hub/src/domain/' },
      to: {
        path: ['node_modules/(@types/)?(express|pg|bullmq|socket\\.io|ioredis)/', '^(node:)?(fs|fs/promises|net|child_process)$'],
      },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would slip past every rule above (build first: tsc -b).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
