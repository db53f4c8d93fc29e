// Every test tier of the repository. `npm test` runs them two files at a time: the integration
// and end-to-end suites share one PostgreSQL and S3 server, each on a database and bucket (and
// nats-server) of its own, and none stops a shared service.
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
