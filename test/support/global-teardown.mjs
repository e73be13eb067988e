export default async function globalTeardown() {
  for (const s of (globalThis.__xinbaoServices ?? []).reverse()) await s.stop();
}
