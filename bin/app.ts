#!/usr/bin/env node
// The only place that reads the environment: .env plus process env, validated into a typed config.
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig, readEnv } from '#config';
import { buildToDoMgmtApp } from '../lib/todo-mgmt-app';

try {
  const app = new App();
  buildToDoMgmtApp(app, loadConfig(readEnv()));
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
