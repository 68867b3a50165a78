// The rehearsal's one GTID parser and the two comparisons built on it (no database needed).
import { gtidCovered, gtidsMissingFrom, parseGtidList, withGtidLast } from '../../util/local/gtid';

test('parses a GTID list, empty included, and refuses anything malformed', () => {
  expect(parseGtidList('')).toEqual([]);
  expect(parseGtidList('0-1-42, 1-2-18446744073709551615')).toEqual([
    { domain: 0, serverId: 1, seq: 42n },
    { domain: 1, serverId: 2, seq: 18446744073709551615n },
  ]);
  expect(() => parseGtidList('0-1')).toThrow(/not a GTID: '0-1'/);
});

test('a position is covered per domain, whichever server wrote it', () => {
  expect(gtidCovered('0-1-10', '')).toBe(true);
  expect(gtidCovered('0-1-10', '0-1-10')).toBe(true);
  expect(gtidCovered('0-2-11', '0-1-10')).toBe(true);
  expect(gtidCovered('0-1-9', '0-1-10')).toBe(false);
  expect(gtidCovered('0-1-10', '0-1-10,1-1-1')).toBe(false);
  expect(gtidCovered('', '0-1-1')).toBe(false);
});

test('divergence: transactions of a server the reference never received, per domain and server', () => {
  expect(gtidsMissingFrom('', '0-1-5')).toEqual([]);
  expect(gtidsMissingFrom('0-1-5', '0-1-5,0-2-9')).toEqual([]);
  expect(gtidsMissingFrom('0-1-7,0-2-9', '0-1-5,0-2-9')).toEqual(['0-1-7 (primary has 0-1-5)']);
  expect(gtidsMissingFrom('0-1-7', '0-2-9')).toEqual(['0-1-7 (primary has none)']);
});

test("a reseeded copy takes the primary's history with the dump position last in its domain", () => {
  expect(withGtidLast('', '0-2-9')).toBe('0-2-9');
  expect(withGtidLast('0-2-9,0-1-7', '0-2-12')).toBe('0-1-7,0-2-12');
  // Two domains: within each, the position's GTID comes last (the order across domains does not matter).
  expect(withGtidLast('0-1-7,0-2-9,1-1-3', '0-1-7,1-2-4')).toBe('0-2-9,1-1-3,0-1-7,1-2-4');
  // The history then contains everything the primary had: nothing looks diverged.
  expect(gtidsMissingFrom('0-1-7,0-2-9', withGtidLast('0-1-7,0-2-9', '0-2-9'))).toEqual([]);
});
