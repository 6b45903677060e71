#!/usr/bin/env node
// Packs every published workspace package (`private` not set) with `pnpm pack`, as a release
// would, and installs the tarballs into an empty temporary project that then imports each main
// entry (ESM) and runs each CLI's `--version`. Catches what the workspace hides: a file missing from
// `files`, a dependency only the workspace provides, an export map pointing at nothing, a
// `workspace:` range left in the packed package.json. Run by `pnpm test` after the build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];

/** The workspace packages a release publishes: every package.json under packages/ and examples/ without `private`. */
function publishedPackages() {
  return ['packages', 'examples']
    .flatMap((dir) =>
      existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((d) => join(root, dir, d)) : [],
    )
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter((p) => p.manifest.private !== true);
}

function run(command, args, options) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

const work = mkdtempSync(join(tmpdir(), 'crosstrace-packed-'));
const failures = [];
const fail = (message) => {
  failures.push(message);
  process.stdout.write(`not ok - ${message}\n`);
};
const pass = (message) => process.stdout.write(`ok - ${message}\n`);

try {
  const packages = publishedPackages();
  if (packages.length === 0) throw new Error('no published package found');
  const tarballs = join(work, 'tarballs');
  const project = join(work, 'project');
  const dependencies = {};
  const peers = {};
  for (const { dir, manifest } of packages) {
    // pnpm pack prints the tarball's path last; it rewrites workspace: ranges to the versions.
    const out = run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir }).trim().split('\n');
    const tarball = out.at(-1).trim();
    if (!existsSync(tarball))
      throw new Error(`pnpm pack gave no tarball for ${manifest.name}: ${out.join(' ')}`);
    const packed = JSON.parse(run('tar', ['-xOzf', tarball, 'package/package.json']));
    const listing = run('tar', ['-tzf', tarball]).split('\n');
    const left = DEPENDENCY_FIELDS.flatMap((field) =>
      Object.entries(packed[field] ?? {})
        .filter(([, range]) => String(range).startsWith('workspace:'))
        .map(([name, range]) => `${field}.${name}: ${range}`),
    );
    if (left.length > 0)
      fail(`${manifest.name}: workspace ranges left in the packed package.json (${left.join(', ')})`);
    else pass(`${manifest.name}: packed, no workspace: range left`);
    // A package with a main entry ships dist/index.js; the UI, an assets package, its index.html.
    const entry =
      manifest.exports?.['.'] === undefined && manifest.main === undefined
        ? 'dist/index.html'
        : 'dist/index.js';
    for (const file of ['package/README.md', 'package/CHANGELOG.md', 'package/LICENSE', `package/${entry}`]) {
      if (!listing.includes(file))
        fail(`${manifest.name}: ${file.slice('package/'.length)} missing from the tarball`);
    }
    dependencies[manifest.name] = `file:${tarball}`;
    for (const [name, range] of Object.entries(packed.peerDependencies ?? {}))
      if (!packages.some((p) => p.manifest.name === name)) peers[name] = range;
  }

  // An empty project depending on the tarballs (and on the peers the app brings itself).
  run('mkdir', ['-p', project]);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify(
      {
        name: 'crosstrace-packed-check',
        private: true,
        type: 'module',
        dependencies: { ...peers, ...dependencies },
        // Our packages depend on each other by version (what pnpm pack wrote): take the tarballs
        // for those too, not the registry.
        pnpm: { overrides: dependencies },
      },
      null,
      2,
    )}\n`,
  );
  // From pnpm's store, as the workspace install left it: no network when nothing changed. Install
  // scripts are skipped: the collector's native SQLite binding is not needed to import it or to
  // answer --version, and building it takes minutes.
  // A registry that stops answering must not hold the test run until CI's own limit: 5 minutes.
  run('pnpm', ['install', '--prefer-offline', '--ignore-scripts', '--config.confirmModulesPurge=false'], {
    cwd: project,
    timeout: 300_000,
  });
  pass(`installed ${packages.length} tarballs into an empty project`);

  for (const { manifest } of packages) {
    // The main entry and every other subpath the export map names (`@crosstrace/tracer/api`, …).
    const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter(
      (k) => k.startsWith('.') && !k.includes('*'),
    );
    for (const subpath of subpaths) {
      const specifier = `${manifest.name}${subpath.slice(1)}`;
      const attributes = subpath.endsWith('.json') ? ", { with: { type: 'json' } }" : '';
      const script = `const m = await import(${JSON.stringify(specifier)}${attributes}); const n = Object.keys(m).length; if (n === 0) throw new Error('no exports'); console.log(n);`;
      try {
        const exports = run(process.execPath, ['--input-type=module', '-e', script], { cwd: project }).trim();
        pass(`import('${specifier}') gives ${exports} exports`);
      } catch (err) {
        fail(`import('${specifier}') failed: ${String(err.stderr || err.message).trim()}`);
      }
    }
    for (const bin of Object.keys(manifest.bin ?? {})) {
      try {
        const version = run(join(project, 'node_modules', '.bin', bin), ['--version'], {
          cwd: project,
        }).trim();
        if (version === manifest.version) pass(`${bin} --version: ${version}`);
        else
          fail(`${bin} --version printed ${JSON.stringify(version)}, package.json says ${manifest.version}`);
      } catch (err) {
        fail(`${bin} --version failed: ${String(err.stderr || err.message).trim()}`);
      }
    }
  }
} catch (err) {
  fail(`packing and installing: ${String(err.stderr || err.message).trim()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

process.stdout.write(
  failures.length === 0
    ? 'Packed packages: all installed and imported\n'
    : `Packed packages: ${failures.length} failed\n`,
);
process.exit(failures.length === 0 ? 0 : 1);
