#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run automatically by `npm install`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
