import packageJson from '../package.json' with { type: 'json' };

/** This package's version, read from its package.json (the one place it is written). */
export const VERSION: string = packageJson.version;
