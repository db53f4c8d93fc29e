import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/** A file as it would sit in a project, and the import it tries. */
interface Probe {
  filePath: string;
  source: string;
}

/**
 * Lints source text placed in a project, with the repository's own ESLint config and nx's
 * project graph, in a child process (ESLint loads its config as an ES module, which jest's
 * module system does not). Returns the messages of the boundary rule per probe.
 */
async function lintAsPlacedIn(probes: Probe[]): Promise<string[][]> {
  const script = `
    const { ESLint } = require('eslint');
    const { createProjectGraphAsync } = require('@nx/devkit');
    (async () => {
      await createProjectGraphAsync({ exitOnError: true });
      const eslint = new ESLint({ cwd: process.cwd() });
      const probes = JSON.parse(process.argv[1]);
      const out = [];
      for (const probe of probes) {
        const [result] = await eslint.lintText(probe.source, { filePath: probe.filePath });
        out.push(result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(probes)], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, maxBuffer: 10 * 1024 * 1024 });
  return JSON.parse(stdout.slice(stdout.indexOf('[['))) as string[][];
}

describe('layers (eslint.config.mjs): a wrong import fails lint', () => {
  it('refuses imports that point up a layer or reach a driver from below, and allows those that point down', async () => {
    const [platformUp, baseUp, baseDriver, platformDriver, featureDown, appDown] = await lintAsPlacedIn([
      { filePath: 'libs/platform/src/layer-probe.ts', source: "import { RecordScanner } from '@exports/export-files';\nexport const probe = RecordScanner;\n" },
      { filePath: 'libs/export-status/src/layer-probe.ts', source: "import { Metrics } from '@exports/platform';\nexport const probe = Metrics;\n" },
      { filePath: 'libs/contracts/src/layer-probe.ts', source: "import { DataSource } from 'typeorm';\nexport const probe = DataSource;\n" },
      { filePath: 'libs/platform/src/layer-probe.ts', source: "import { Client } from 'minio';\nexport const probe = Client;\n" },
      { filePath: 'libs/export-pipeline/src/layer-probe.ts', source: "import { ObjectStorage } from '@exports/storage';\nexport const probe = ObjectStorage;\n" },
      { filePath: 'apps/export-worker/src/layer-probe.ts', source: "import { ExportRunner } from '@exports/export-pipeline';\nexport const probe = ExportRunner;\n" },
    ]);

    expect(platformUp).toEqual([expect.stringContaining('A project tagged with "layer:platform" can only depend on libs tagged with "layer:base"')]);
    expect(baseUp).toEqual([expect.stringContaining('A project tagged with "layer:base" can only depend on libs tagged with "layer:base"')]);
    expect(baseDriver).toEqual(['A project tagged with "layer:base" is not allowed to import "typeorm"']);
    expect(platformDriver).toEqual(['A project tagged with "layer:platform" is not allowed to import "minio"']);
    expect(featureDown).toEqual([]);
    expect(appDown).toEqual([]);
  });
});
