// The .env keys of the alarms and the functions' concurrency: what config.ts accepts, and the message
// (naming the key and the fix) for what it refuses.
import { ConfigError, type Env, loadConfig } from '#config';
import { TEST_ENV } from './synth-app';

const load = (env: Env) => loadConfig({ ...TEST_ENV, ...env });
const problems = (env: Env): string[] => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('ALARM_EMAIL', () => {
  test('unset or empty: no address (alarms without notifications)', () => {
    expect(load({}).alarmEmail).toBeUndefined();
    expect(load({ ALARM_EMAIL: '  ' }).alarmEmail).toBeUndefined();
  });

  test('one address, trimmed', () => {
    expect(load({ ALARM_EMAIL: ' ops@example.com ' }).alarmEmail).toBe('ops@example.com');
  });

  test.each(['ops', 'ops@example', 'a@b.com,c@d.com', 'ops @example.com'])('%s is refused, naming the key', (value) => {
    expect(problems({ ALARM_EMAIL: value })).toEqual([expect.stringMatching(/^ALARM_EMAIL=.* is not one e-mail address/)]);
  });
});

describe('LAMBDA_RESERVED_CONCURRENCY', () => {
  test('unset or empty: none reserved for any function (the default)', () => {
    expect(load({}).reservedConcurrency).toEqual({});
    expect(load({ LAMBDA_RESERVED_CONCURRENCY: '' }).reservedConcurrency).toEqual({});
  });

  test('Function=N pairs, spaces and a trailing comma tolerated', () => {
    expect(load({ LAMBDA_RESERVED_CONCURRENCY: 'GetToDos=50, UpsertToDos = 20,CreateTableFunction=1,' }).reservedConcurrency).toEqual({
      GetToDos: 50,
      UpsertToDos: 20,
      CreateTableFunction: 1,
    });
  });

  test.each([
    ['GetToDos', /'GetToDos' is not Function=N/],
    ['GetTodos=5', /'GetTodos' is not a function: use GetToDos, UpsertToDos, RemoveToDos, CreateTableFunction/],
    ['GetToDos=5,GetToDos=6', /GetToDos is given twice/],
    ['GetToDos=0', /GetToDos=0 is invalid: a whole number from 1 \(0 would stop the function/],
    ['GetToDos=-3', /GetToDos=-3 is invalid/],
    ['GetToDos=2.5', /GetToDos=2.5 is invalid/],
    ['GetToDos=ten', /GetToDos=ten is invalid/],
  ])('%s is refused, naming the key', (value, message) => {
    const found = problems({ LAMBDA_RESERVED_CONCURRENCY: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^LAMBDA_RESERVED_CONCURRENCY: /);
    expect(found[0]).toMatch(message);
  });
});
