#!/usr/bin/env node
// Runs a compiled tool (`node tools/launch.js <tool> [args]`), building first when the
// sources are newer than dist/. Build output goes to stderr so a tool's stdout stays its own.
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [tool, ...args] = process.argv.slice(2);
const entry = path.join(root, 'dist', 'tools', tool, 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
    if (item.name === 'node_modules' || item.name === 'dist' || item.name.startsWith('.')) continue;
    const full = path.join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (item.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
const sources = Math.max(...['apps', 'libs', 'tools'].map((d) => newestSource(path.join(root, d))));
if (!built || sources > built) {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const child = spawn(process.execPath, [entry, ...args], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
