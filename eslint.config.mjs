import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/*
 * The layers, bottom up (docs/ARCHITECTURE.md draws them). A project's `layer:*` tag says where it
 * sits; it may import the layers listed for it and nothing above. Apps and tools are on top.
 */
const below = ['layer:base', 'layer:platform', 'layer:infra', 'layer:feature'];
export const layers = {
  // contracts, export-status: types, DTOs and rules; no connection to anything.
  'layer:base': ['layer:base'],
  // platform: config, logging, metrics, the NATS/JetStream connection.
  'layer:platform': ['layer:base'],
  // database, storage, outbox: one kind of storage each.
  'layer:infra': ['layer:base', 'layer:platform', 'layer:infra'],
  // export-pipeline, export-files: the export use cases over the storage.
  'layer:feature': below,
  'layer:testing': [...below, 'layer:testing'],
  'layer:app': [...below, 'layer:testing'],
  'layer:tools': [...below, 'layer:testing', 'layer:tools'],
};

/** Drivers and clients with I/O: the layers under them must not reach for them directly. */
const drivers = ['@nestjs/typeorm', 'pg', 'pg-copy-streams', 'minio'];
const bannedExternalImports = {
  'layer:base': [...drivers, 'typeorm', 'nats', '@nestjs/common', '@nestjs/core', '@nestjs/microservices'],
  'layer:platform': drivers,
};

export default [
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/coverage', '.nx'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: Object.entries(layers).map(([sourceTag, allowed]) => ({
            sourceTag,
            onlyDependOnLibsWithTags: allowed,
            ...(bannedExternalImports[sourceTag] ? { bannedExternalImports: bannedExternalImports[sourceTag] } : {}),
          })),
        },
      ],
    },
  },
];
