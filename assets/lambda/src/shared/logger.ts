// Structured JSON logs (one object per line), shared by every function in the bundle. The level is
// Powertools' own: Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL) win, then POWERTOOLS_LOG_LEVEL,
// then LOG_LEVEL; anything but TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT (upper case) means INFO.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'todomgmt' });
