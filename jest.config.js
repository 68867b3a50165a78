// Two projects so the pipeline's synth step can run the tests that need no database
// (`npm run test:nodb`) while CI and developers run everything (`npm test`).
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // jose 6 is ESM-only; Jest on Node 20 cannot require() ESM, so its files are compiled to CommonJS.
  transform: { '/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true } }] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'nodb', testMatch: ['<rootDir>/test/{infra,failover,scripts}/**/*.test.ts'] },
    { ...common, displayName: 'db', testMatch: ['<rootDir>/test/{lambda,local}/**/*.test.ts'] },
  ],
};
