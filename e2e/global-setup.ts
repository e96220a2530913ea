// Starts what the e2e suite needs, once: the sample sites (built and cached), the real Tapistry
// server with one project, and the static server for the sites. Tests read the result with
// inject('e2e').
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { buildNext, buildReactRouter } from './build-sites.mjs';
import { startSites } from './lib/static-server';
import { freePort, type Project, startTapistry } from './lib/tapistry-server';

export interface E2eEnv {
  tapistry: string;
  site: string;
  project: Project;
  sri: string;
  servedSriMatches: boolean;
  /** the server's data directory (for the CLI: `tapistry project settings --data`) */
  data: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eEnv;
  }
}

export default async function setup(project: TestProject) {
  await buildReactRouter();
  buildNext();
  const sitePort = await freePort();
  const site = `http://127.0.0.1:${sitePort}`;
  const tap = await startTapistry(site);
  // The snippet uses the SRI hash the server publishes (what the dashboard shows), checked here
  // against the bytes actually served at /v1.js.
  const manifest = (await (await fetch(tap.origin + '/v1/manifest.json')).json()) as {
    files: Record<string, { integrity: string }>;
  };
  const sri = manifest.files['tapistry.js']!.integrity;
  const served = Buffer.from(await (await fetch(tap.origin + '/v1.js')).arrayBuffer());
  const servedSri = 'sha384-' + createHash('sha384').update(served).digest('base64');
  const sites: Server = await startSites(sitePort, () => ({ tapistry: tap.origin, key: tap.project.public_key, sri }));
  project.provide('e2e', { tapistry: tap.origin, site, project: tap.project, sri, servedSriMatches: servedSri === sri, data: tap.data });
  return async () => {
    await new Promise((r) => sites.close(r));
    await tap.stop();
  };
}
