// Every test tier of the repository. `npm test` runs them all, one file at a time,
// because the integration and end-to-end tiers share one PostgreSQL, NATS and S3 server.
const preset = require('./jest.preset');

const tier = (displayName, testMatch, extra = {}) => ({ ...preset, displayName, rootDir: __dirname, testMatch, ...extra });

module.exports = {
  projects: [
    tier('unit', ['<rootDir>/{apps,libs,tools}/**/*.spec.ts']),
    tier('int', ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'], {
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/jest/int.setup.ts'],
    }),
    tier('e2e', ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'], {
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/jest/e2e.setup.ts'],
    }),
  ],
};
