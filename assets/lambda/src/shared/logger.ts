// Structured JSON logs (one object per line), shared by every function in the bundle.
import { Logger } from '@aws-lambda-powertools/logger';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
type Level = (typeof LEVELS)[number];

function levelFromEnv(): Level {
  const raw = (process.env.LOG_LEVEL ?? 'INFO').trim().toUpperCase();
  // A typo in LOG_LEVEL must not take the API down: fall back to INFO and say so in the first log line.
  return (LEVELS as readonly string[]).includes(raw) ? (raw as Level) : 'INFO';
}

export const logger = new Logger({ serviceName: 'todomgmt', logLevel: levelFromEnv() });

if (process.env.LOG_LEVEL && levelFromEnv() === 'INFO' && process.env.LOG_LEVEL.trim().toUpperCase() !== 'INFO') {
  logger.warn('LOG_LEVEL is not one of TRACE|DEBUG|INFO|WARN|ERROR|CRITICAL|SILENT; using INFO', {
    LOG_LEVEL: process.env.LOG_LEVEL,
  });
}
