import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

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
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:infra'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:infra'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:infra', 'type:feature'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:infra', 'type:feature', 'type:testing'] },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:infra', 'type:feature', 'type:testing'] },
          ],
        },
      ],
    },
  },
];
