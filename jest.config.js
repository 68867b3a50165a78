// Two projects so the pipeline's synth step can run the tests that need no database
// (`npm run test:nodb`) while CI and developers run everything (`npm test`).

// tsconfig type-checks with Node's own module rules (module node20: `#names` aliases from package.json
// "imports"); tests run as CommonJS, as ts-node runs the programs (tsconfig's "ts-node" section).
const commonJs = { module: 'commonjs', moduleResolution: 'node10' };

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: commonJs }],
    // jose 6 is ESM-only; Jest on Node 20 cannot require() ESM, so its files are compiled to CommonJS.
    '/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { ...commonJs, allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'nodb', testMatch: ['<rootDir>/test/{infra,failover,scripts}/**/*.test.ts'] },
    { ...common, displayName: 'db', testMatch: ['<rootDir>/test/{lambda,local,gameday}/**/*.test.ts'] },
  ],
};
