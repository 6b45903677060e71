// Native addons (better-sqlite3) are compiled by node-gyp against `nodedir`. A user-level
// `nodedir` (for example /usr, a system Node's headers) builds them for another Node ABI than the
// one running pnpm. When the running Node carries its own headers (official tarballs do; the npm
// registry's `node` package keeps them in its platform package), build against those instead.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

/** Installation prefixes that may hold the running Node's `include/node` headers. */
function candidatePrefixes() {
  const prefix = dirname(dirname(process.execPath));
  const out = [prefix];
  const platformPackages = join(prefix, 'node_modules');
  if (existsSync(platformPackages)) {
    for (const name of readdirSync(platformPackages)) {
      if (name.startsWith('node-')) out.push(join(platformPackages, name));
    }
  }
  return out;
}

/** The prefix whose headers are exactly this Node's version, or undefined. */
function ownHeaders() {
  for (const prefix of candidatePrefixes()) {
    const file = join(prefix, 'include', 'node', 'node_version.h');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
    if (`v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version) return prefix;
  }
  return undefined;
}

module.exports = {
  hooks: {
    updateConfig(config) {
      const own = ownHeaders();
      if (own !== undefined) {
        config.nodedir = own;
        if (config.rawConfig) config.rawConfig.nodedir = own;
        process.env.npm_config_nodedir = own;
      }
      return config;
    },
  },
};
