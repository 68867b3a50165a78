// The pure rules the preflight and the run record rest on: engine version compatibility as the Aurora
// user guide states it, and what a stored run record must look like.
import { managedMoveCompatibility, parseEngineVersion } from '#failover/engine-versions';
import { endRecord, parseRunRecord, refusedRecord, RunRecordFormatError, startRecord } from '#failover/run-record';

describe('engine versions (Aurora user guide, patch level compatibility for managed switchovers and failovers)', () => {
  test('Aurora MySQL: major, minor and patch must all match', () => {
    expect(parseEngineVersion('8.0.mysql_aurora.3.10.0')).toMatchObject({ engine: 'aurora-mysql', major: 3, minor: 10, patch: 0 });
    expect(managedMoveCompatibility('8.0.mysql_aurora.3.10.0', '8.0.mysql_aurora.3.10.0').ok).toBe(true);
    expect(managedMoveCompatibility('8.0.mysql_aurora.3.10.0', '8.0.mysql_aurora.3.10.1')).toEqual({
      ok: false,
      why: 'patch 0 vs 1: Aurora MySQL needs identical patch levels',
    });
    expect(managedMoveCompatibility('8.0.mysql_aurora.3.10.0', '8.0.mysql_aurora.3.08.2').why).toMatch(/major\.minor 3\.10 vs 3\.8/);
  });

  test('Aurora PostgreSQL: patch levels may differ from 15, 14.5, 13.8, 12.12 and 11.17 on', () => {
    expect(managedMoveCompatibility('15.4.1', '15.4.3').ok).toBe(true);
    expect(managedMoveCompatibility('14.5.1', '14.5.2').ok).toBe(true);
    expect(managedMoveCompatibility('14.4.1', '14.4.2').ok).toBe(false);
    expect(managedMoveCompatibility('11.17.0', '11.17.1').ok).toBe(true);
    expect(managedMoveCompatibility('15.4', '15.5').ok).toBe(false);
  });

  test('anything else (the rehearsal MariaDB) by its numbers; unparseable strings must be identical', () => {
    expect(managedMoveCompatibility('10.11.6-MariaDB-0+deb12u1-log', '10.11.6-MariaDB-0+deb12u1-log').ok).toBe(true);
    expect(managedMoveCompatibility('weird', 'weird').ok).toBe(true);
    expect(managedMoveCompatibility('weird', 'other').ok).toBe(false);
  });
});

describe('run records', () => {
  const intent = { mode: 'switchover', from: 'pri', to: 'secd' } as const;

  test('round trip; a completed run is carried by the records after it; a refusal never hides an unfinished run', () => {
    const started = startRecord(undefined, intent, '2026-01-01T12:00:00.000Z', 'by hand');
    expect(parseRunRecord(JSON.stringify(started))).toEqual(started);
    const done = endRecord(started, 'completed', '2026-01-01T12:10:00.000Z');
    const next = startRecord(done, { mode: 'switchover', from: 'secd', to: 'pri' }, '2026-01-02T00:00:00.000Z');
    expect(next.lastCompleted).toEqual({ mode: 'switchover', from: 'pri', to: 'secd', endedAt: '2026-01-01T12:10:00.000Z' });
    expect(refusedRecord(started, intent, '2026-01-01T12:05:00.000Z', 'lag')).toBeUndefined();
    expect(refusedRecord(done, intent, '2026-01-01T12:20:00.000Z', 'x'.repeat(5000))?.error).toHaveLength(600);
  });

  test('anything else is refused with what is wrong', () => {
    expect(() => parseRunRecord('nope')).toThrow(new RunRecordFormatError('not JSON'));
    expect(() => parseRunRecord('{"version":1,"mode":"flip","from":"pri","to":"pri","state":"done"}')).toThrow(
      'invalid mode, from/to, startedAt/updatedAt, state',
    );
  });
});
