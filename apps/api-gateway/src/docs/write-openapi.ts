import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createOpenApiDocument, stableJson } from './openapi-document';

/**
 * `npm run openapi`: writes the gateway's OpenAPI document to docs/openapi.json.
 * `--check` writes nothing and exits 1 when the committed file is out of date.
 */
const ROOT = resolve(__dirname, '../../../../..');
const TARGET = resolve(ROOT, 'docs/openapi.json');

async function main(): Promise<number> {
  const text = stableJson(await createOpenApiDocument());
  const shown = relative(process.cwd(), TARGET);
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(TARGET, 'utf8');
    } catch {
      // missing: out of date
    }
    if (committed === text) return 0;
    process.stderr.write(`${shown} is out of date: run "npm run openapi" and commit it\n`);
    return 1;
  }
  writeFileSync(TARGET, text);
  process.stderr.write(`Wrote ${shown}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`write-openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
