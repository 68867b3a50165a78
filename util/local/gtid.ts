// MariaDB GTID lists (`0-1-42,1-2-7`: domain-server-sequence) and the two questions the rehearsal asks
// of them: has a replica applied a position, and does a server hold transactions another never got.
// Pure functions, the only GTID parser of the rehearsal.

export interface Gtid {
  readonly domain: number;
  readonly serverId: number;
  readonly seq: bigint;
}

/** Parses `@@gtid_*` values; an empty string is an empty list, anything malformed is an error. */
export function parseGtidList(list: string): Gtid[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(item);
      if (!m) throw new Error(`not a GTID: '${item}' in '${list}'`);
      return { domain: Number(m[1]), serverId: Number(m[2]), seq: BigInt(m[3]) };
    });
}

/**
 * True when position `have` (e.g. a replica's gtid_slave_pos) is at or past `needed` (e.g. the
 * primary's gtid_binlog_pos) in every replication domain. A position holds one GTID per domain.
 */
export function gtidCovered(have: string, needed: string): boolean {
  const reached = new Map(parseGtidList(have).map((g) => [g.domain, g.seq]));
  return parseGtidList(needed).every((g) => (reached.get(g.domain) ?? -1n) >= g.seq);
}

/**
 * The transactions in `candidate`'s binlog state (one GTID per domain and server) that `reference`'s
 * binlog state does not contain, described for a human. Empty: candidate's history is part of
 * reference's, so it can replicate from it.
 */
export function gtidsMissingFrom(candidateState: string, referenceState: string): string[] {
  const key = (g: Gtid) => `${g.domain}-${g.serverId}`;
  const seen = new Map(parseGtidList(referenceState).map((g) => [key(g), g.seq]));
  return parseGtidList(candidateState)
    .filter((g) => (seen.get(key(g)) ?? -1n) < g.seq)
    .map((g) => {
      const theirs = seen.get(key(g));
      return `${key(g)}-${g.seq} (primary has ${theirs === undefined ? 'none' : `${key(g)}-${theirs}`})`;
    });
}

/**
 * A binlog state (one GTID per domain and server) updated with `position` (one GTID per domain), each
 * domain's GTID from `position` listed last: MariaDB takes the last GTID it is given for a domain as
 * that domain's newest (gtid_binlog_pos), and position is where the data stands.
 */
export function withGtidLast(state: string, position: string): string {
  const last = parseGtidList(position);
  const key = (g: Gtid) => `${g.domain}-${g.serverId}`;
  const replaced = new Set(last.map(key));
  const format = (g: Gtid) => `${g.domain}-${g.serverId}-${g.seq}`;
  return [...parseGtidList(state).filter((g) => !replaced.has(key(g))), ...last].map(format).join(',');
}
