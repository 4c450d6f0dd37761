import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  for (const { server, root } of globalThis.__ELT_TEST_PG__ ?? []) {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}
