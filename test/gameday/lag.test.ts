// The bound on what an unplanned failover may lose, from GTID samples of both databases.
import { lagAtKill, transactionsBehind, type GtidSample } from '../../util/gameday/lag';
import type { AckedWrite } from '../../util/gameday/recorder';

test('transactionsBehind: per replication domain, never negative', () => {
  expect(transactionsBehind('0-1-120', '0-1-117')).toBe(3);
  expect(transactionsBehind('0-1-120', '0-1-120')).toBe(0);
  expect(transactionsBehind('0-2-130', '0-1-120')).toBe(10); // another server wrote in the same domain since
  expect(transactionsBehind('0-1-5,1-1-9', '0-1-5')).toBe(9);
  expect(transactionsBehind('0-1-5', '0-1-9')).toBe(0);
  expect(transactionsBehind('', '')).toBe(0);
});

const sample = (at: number, role: 'pri' | 'secd', binlogPos: string, slavePos: string): GtidSample => ({
  at,
  role,
  readOnly: role === 'secd',
  binlogPos,
  slavePos,
});
const acked = (ackAt: number, region: string): AckedWrite => ({
  id: ackAt,
  op: 'create',
  task: 't',
  status: 's',
  client: 'w1',
  sentAt: ackAt - 3,
  ackAt,
  region,
  phase: 'traffic',
});

test('lagAtKill: the last round both answered before the kill, plus the writes the old primary acknowledged after it', () => {
  const samples = [
    sample(100, 'pri', '0-1-50', ''),
    sample(100, 'secd', '0-1-49', '0-1-48'),
    sample(150, 'pri', '0-1-53', ''),
    sample(150, 'secd', '0-1-50', '0-1-50'),
    // pri no longer answers; after the kill secd goes on alone.
    sample(200, 'secd', '0-1-50', '0-1-51'),
  ];
  const writes = [acked(140, 'us-east-1'), acked(160, 'us-east-1'), acked(170, 'us-east-1'), acked(400, 'us-east-2')];
  expect(lagAtKill(samples, 'pri', 'us-east-1', writes, 190)).toEqual({
    sampledAt: new Date(150).toISOString(),
    writerPosition: '0-1-53',
    replicaPosition: '0-1-50',
    transactionsBehind: 3,
    acknowledgedAfterSample: 2,
    writesInLag: 5,
  });
  // Samples after the kill (a revived region) do not count.
  expect(lagAtKill([...samples, sample(300, 'pri', '0-1-99', '')], 'pri', 'us-east-1', writes, 190)?.sampledAt).toBe(
    new Date(150).toISOString(),
  );
  expect(lagAtKill([sample(100, 'secd', '', '')], 'pri', 'us-east-1', writes, 190)).toBeUndefined();
});
