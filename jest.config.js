// Two projects so the pipeline's synth step can run the tests that need no database
// (`npm run test:nodb`) while CI and developers run everything (`npm test`).
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'nodb', testMatch: ['<rootDir>/test/{infra,failover,scripts}/**/*.test.ts'] },
    { ...common, displayName: 'db', testMatch: ['<rootDir>/test/{lambda,local}/**/*.test.ts'] },
  ],
};
