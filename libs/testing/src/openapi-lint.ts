import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RulesetDefinition } from '@stoplight/spectral-core';

/**
 * The OpenAPI document under two linters: Redocly (its `recommended` rules) and Spectral
 * (its `spectral:oas` ruleset). Any error or warning of either fails; Spectral's info and
 * hint levels are printed only. `npm run lint:openapi` runs it on docs/openapi.json, the
 * file the gateway serves (the OpenAPI e2e spec checks that the two are equal).
 *
 * Not exported from the library's index: Redocly's package is ES modules only, loaded here
 * in a plain node process, which jest's CommonJS runtime cannot do.
 */
export interface LintProblem {
  linter: 'redocly' | 'spectral';
  severity: 'error' | 'warn' | 'info' | 'hint';
  rule: string;
  message: string;
  /** JSON pointer into the document. */
  pointer: string;
}

/** Severities that fail the check. */
export const FAILING: ReadonlySet<LintProblem['severity']> = new Set(['error', 'warn']);

const SPECTRAL_SEVERITIES: LintProblem['severity'][] = ['error', 'warn', 'info', 'hint'];

function pointerOf(path: ReadonlyArray<string | number>): string {
  return '#/' + path.map((segment) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

async function redocly(source: string, file: string): Promise<LintProblem[]> {
  const { createConfig, lintFromString } = await import('@redocly/openapi-core');
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source, absoluteRef: file, config });
  return problems.map((problem) => ({
    linter: 'redocly',
    severity: problem.severity === 'error' ? 'error' : 'warn',
    rule: problem.ruleId,
    message: problem.message,
    pointer: problem.location?.[0]?.pointer ?? '#',
  }));
}

async function spectral(source: string, file: string): Promise<LintProblem[]> {
  const { Document, Spectral } = await import('@stoplight/spectral-core');
  const { Json } = await import('@stoplight/spectral-parsers');
  const { oas } = await import('@stoplight/spectral-rulesets');
  const linter = new Spectral();
  // The package's declared type of the ruleset lacks the optional `extends` of RulesetDefinition.
  linter.setRuleset(oas as RulesetDefinition);
  const results = await linter.run(new Document(source, Json, file));
  return results.map((result) => ({
    linter: 'spectral',
    severity: SPECTRAL_SEVERITIES[result.severity] ?? 'error',
    rule: String(result.code),
    message: result.message,
    pointer: pointerOf(result.path),
  }));
}

/** Every problem both linters find in `source` (an OpenAPI document as JSON text). */
export async function lintOpenApi(source: string, file = 'openapi.json'): Promise<LintProblem[]> {
  const [fromRedocly, fromSpectral] = await Promise.all([redocly(source, file), spectral(source, file)]);
  return [...fromRedocly, ...fromSpectral];
}

export function describeProblem(problem: LintProblem): string {
  return `${problem.linter} ${problem.severity} ${problem.rule}: ${problem.message} at ${problem.pointer}`;
}

/** `node dist/libs/testing/src/openapi-lint.js [file]`: exit 1 on any error or warning. */
async function main(file = 'docs/openapi.json'): Promise<void> {
  const started = Date.now();
  const problems = await lintOpenApi(await readFile(resolve(file), 'utf8'), file);
  for (const problem of problems) console.log(describeProblem(problem));
  const failing = problems.filter((problem) => FAILING.has(problem.severity));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failing.length) {
    console.error(`${file}: ${failing.length} OpenAPI lint problem(s) (Redocly recommended, Spectral spectral:oas; errors and warnings fail) in ${seconds} s`);
    process.exitCode = 1;
  } else {
    console.log(`${file}: no OpenAPI lint error or warning (Redocly recommended, Spectral spectral:oas) in ${seconds} s`);
  }
}

if (require.main === module) {
  main(process.argv[2]).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
