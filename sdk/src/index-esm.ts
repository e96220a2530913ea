// ESM entry (tapistry.mjs / v1.mjs): boots like the IIFE build, with the ingest origin taken from
// the module's own URL (module scripts have no document.currentScript), and exports the API.
import { boot } from './core/api';

export const tapistry = boot(import.meta.url);
