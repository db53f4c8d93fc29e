#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine:
#   1. `docker-compose -f docker-compose.yml config -q` (schema, anchors, interpolation),
#      with Debian's `docker-compose` (v1) or, failing that, the `docker compose` plugin;
#   2. every service's build context is a directory and its dockerfile a file, and a
#      build arg APP names an app of the repo (apps/<APP>/src/main.ts);
#   3. internal ports stay internal: no host port publishes MinIO's console (9001) or an
#      app's ops port (9100-9102: /metrics and /health/ready).
# Steps 2 and 3 read the resolved `config` output when a compose tool is there, else the
# file itself.
#
# Usage: tools/compose-check.sh [compose-file]     (default: docker-compose.yml at the repo root)
# Without a compose tool it fails, unless COMPOSE_CHECK_OPTIONAL=1 (then step 1 is
# skipped with a message and only step 2 decides).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
file="${1:-docker-compose.yml}"
say() { printf 'compose-check: %s\n' "$*"; }

if [[ ! -f "$file" ]]; then
  say "FAIL: $file not found" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1; then
  say "FAIL: node is needed to read the build sections" >&2
  exit 1
fi

compose=()
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
fi

missing_tool=0
if ((${#compose[@]})); then
  say "${compose[*]} -f $file config -q"
  if ! "${compose[@]}" -f "$file" config -q; then
    say "FAIL: ${compose[*]} rejected $file" >&2
    exit 1
  fi
  say "OK: $file is a valid compose file ($("${compose[@]}" version --short 2>/dev/null || echo "${compose[*]}"))"
  # Resolved form: anchors merged, variables interpolated, contexts made absolute.
  build_source="$("${compose[@]}" -f "$file" config)"
  build_origin="${compose[*]} config"
else
  missing_tool=1
  say "docker-compose not found (Debian: apt-get install docker-compose); cannot validate $file" >&2
  build_source="$(cat "$file")"
  build_origin="$file"
fi

# Reads the `build:` sections of block-style compose YAML (what `config` prints and
# what this repo writes) on stdin; prints one line per problem, exits 1 if any.
COMPOSE_DIR="$(cd "$(dirname "$file")" && pwd)" BUILD_ORIGIN="$build_origin" node -e '
const fs = require("node:fs");
const path = require("node:path");
const text = fs.readFileSync(0, "utf8");
const baseDir = process.env.COMPOSE_DIR;
const lines = text.split(/\r?\n/);
const indentOf = (line) => line.match(/^ */)[0].length;
const isBlank = (line) => /^\s*(#.*)?$/.test(line);

/** A scalar: quotes removed, trailing comment dropped, ${VAR}, ${VAR:-default} and ${VAR-default} resolved. */
function scalar(raw) {
  let value = raw.trim();
  if (value.startsWith("\"")) value = JSON.parse(value.match(/^"(?:[^"\\]|\\.)*"/)[0]);
  else if (value.startsWith("\u0027")) value = value.match(/^\u0027((?:[^\u0027]|\u0027\u0027)*)\u0027/)[1].replace(/\u0027\u0027/g, "\u0027");
  else value = value.replace(/\s+#.*$/, "").trim();
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (_, name, op, fallback) => {
    const set = process.env[name];
    if (op === ":-") return set ? set : fallback;
    if (op === "-") return set !== undefined ? set : fallback;
    return set ?? "";
  });
}

/** The direct children (key -> raw value, and the line index) of the block mapping opened at line `at`. */
function children(at) {
  const parentIndent = indentOf(lines[at]);
  const found = {};
  let childIndent;
  for (let i = at + 1; i < lines.length; i++) {
    if (isBlank(lines[i])) continue;
    const indent = indentOf(lines[i]);
    if (indent <= parentIndent) break;
    childIndent ??= indent;
    const m = indent === childIndent && lines[i].slice(indent).match(/^([A-Za-z0-9_.-]+|"[^"]*"|\u0027[^\u0027]*\u0027):(?:\s+(.*))?$/);
    if (m) found[scalar(m[1])] = { raw: m[2] ?? "", line: i };
    const item = indent === childIndent && lines[i].slice(indent).match(/^-\s+(.*)$/);
    if (item) (found["-"] ??= []).push(scalar(item[1]));
  }
  return found;
}

/** Name of the mapping key that holds line `at` (the service). */
function owner(at) {
  const indent = indentOf(lines[at]);
  for (let i = at - 1; i >= 0; i--) {
    if (isBlank(lines[i]) || indentOf(lines[i]) >= indent) continue;
    const m = lines[i].trim().match(/^([^:#]+):/);
    return m ? scalar(m[1]) : "?";
  }
  return "?";
}

const isRemote = (context) => /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || /^git@/.test(context) || /^github\.com\//.test(context);
const problems = [];
let checked = 0;
lines.forEach((line, at) => {
  const m = line.match(/^(\s*)build:(?:\s+(.*))?$/);
  if (!m || isBlank(line)) return;
  const service = owner(at);
  const where = `${service} (line ${at + 1} of ${process.env.BUILD_ORIGIN})`;
  let raw = (m[2] ?? "").replace(/^&\S+\s*/, "");
  let context = ".";
  let dockerfile = "Dockerfile";
  let app;
  if (raw.startsWith("*")) {
    problems.push(`${where}: build is an alias (${raw}); run with docker-compose installed to check the resolved file`);
    return;
  } else if (raw.startsWith("{")) {
    for (const pair of raw.replace(/^\{|\}\s*(#.*)?$/g, "").split(",")) {
      const [key, ...rest] = pair.split(":");
      const value = rest.join(":");
      if (key.trim() === "context") context = scalar(value);
      if (key.trim() === "dockerfile") dockerfile = scalar(value);
    }
  } else if (raw && !raw.startsWith("#")) {
    context = scalar(raw);
  } else {
    const keys = children(at);
    if (keys.context) context = scalar(keys.context.raw);
    if (keys.dockerfile) dockerfile = scalar(keys.dockerfile.raw);
    if (keys.dockerfile_inline) dockerfile = undefined;
    if (keys.args) {
      const args = children(keys.args.line);
      if (args.APP) app = scalar(args.APP.raw);
      for (const item of args["-"] ?? []) if (item.startsWith("APP=")) app = item.slice(4);
    }
  }
  checked++;
  if (isRemote(context)) return;
  const contextDir = path.resolve(baseDir, context);
  if (!fs.existsSync(contextDir) || !fs.statSync(contextDir).isDirectory()) {
    problems.push(`${where}: build context ${context} is not a directory`);
    return;
  }
  const before = problems.length;
  if (dockerfile !== undefined) {
    const dockerfilePath = path.resolve(contextDir, dockerfile);
    if (!fs.existsSync(dockerfilePath) || !fs.statSync(dockerfilePath).isFile()) problems.push(`${where}: dockerfile ${dockerfile} not found in ${contextDir}`);
  }
  if (app !== undefined && !fs.existsSync(path.join(contextDir, "apps", app, "src", "main.ts"))) {
    problems.push(`${where}: build arg APP=${app} names no app (no apps/${app}/src/main.ts in ${contextDir})`);
  }
  if (problems.length === before) console.log(`compose-check: OK: ${service}: context ${path.relative(process.cwd(), contextDir) || "."}, dockerfile ${dockerfile ?? "(inline)"}${app ? `, APP=${app}` : ""}`);
});
for (const problem of problems) console.error(`compose-check: FAIL: ${problem}`);
if (!checked && !problems.length) console.log("compose-check: no build sections found");
process.exit(problems.length ? 1 : 0);
' <<<"$build_source" || exit 1

# Host ports: `published: N` in the resolved form, `- "[ip:]host:container"` in the file.
internal_ports=" 9001 9100 9101 9102 "
published="$( { grep -oE 'published: *"?[0-9]+' <<<"$build_source" | grep -oE '[0-9]+$'
  grep -oE '^ *- *"?([0-9.]+:)?[0-9]+:[0-9]+' <<<"$build_source" | sed -E 's/^ *- *"?//; s/:[0-9]+$//; s/^.*://'; } || true)"
exposed=0
for port in $published; do
  if [[ "$internal_ports" == *" $port "* ]]; then
    say "FAIL: host port $port is published; MinIO's console and the ops ports must stay inside the network" >&2
    exposed=1
  fi
done
((exposed)) && exit 1
say "OK: published host ports: $(echo $published | tr '\n' ' ')(none internal)"

if ((missing_tool)); then
  if [[ "${COMPOSE_CHECK_OPTIONAL:-}" == 1 ]]; then
    say "SKIPPED the compose validation (COMPOSE_CHECK_OPTIONAL=1); build sections are fine"
    exit 0
  fi
  say "FAIL: install docker-compose, or set COMPOSE_CHECK_OPTIONAL=1 to make this check optional" >&2
  exit 1
fi
say "all checks passed"
