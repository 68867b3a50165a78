// Structured JSON logs (one object per line), shared by every function in the bundle. The level is
// Powertools' own: Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL) win, then POWERTOOLS_LOG_LEVEL,
// then LOG_LEVEL; anything but TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT (upper case) means INFO.
// The service name is the environment's (POWERTOOLS_SERVICE_NAME, e.g. one per region), `todomgmt` without
// it: a serviceName option would override the variable.
import { Logger } from '@aws-lambda-powertools/logger';

export const DEFAULT_SERVICE_NAME = 'todomgmt';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME });
