// Whether two members' engine versions allow a managed switchover or failover, compared as AWS does.
// Aurora user guide, "Upgrading an Amazon Aurora global database" → "Patch level compatibility for
// managed cross-Region switchovers and failovers": major and minor versions must match; the patch level
// too for every Aurora MySQL version ("No minor versions" are exempt), while Aurora PostgreSQL 15+,
// 14.5+, 13.8+, 12.12+ and 11.17+ allow different patch levels. A manual failover (detach) only needs
// the same major and minor version.

export interface EngineVersion {
  readonly engine: 'aurora-mysql' | 'aurora-postgresql' | 'other';
  readonly major: number;
  readonly minor: number;
  /** Undefined where the version string has none (`15.4`). */
  readonly patch?: number;
  readonly text: string;
}

/** `8.0.mysql_aurora.3.10.0` → Aurora MySQL 3.10.0; `15.4` → Aurora PostgreSQL 15.4; anything else by its numbers. */
export function parseEngineVersion(text: string): EngineVersion | undefined {
  const mysql = /mysql_aurora\.(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (mysql) return { engine: 'aurora-mysql', major: +mysql[1], minor: +mysql[2], patch: num(mysql[3]), text };
  const pg = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  if (pg) return { engine: 'aurora-postgresql', major: +pg[1], minor: +pg[2], patch: num(pg[3]), text };
  const other = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return other ? { engine: 'other', major: +other[1], minor: +other[2], patch: num(other[3]), text } : undefined;
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

/** Aurora PostgreSQL versions whose members may differ in patch level (the user guide's table). */
function patchMayDiffer(v: EngineVersion): boolean {
  if (v.engine !== 'aurora-postgresql') return false;
  const minimumMinor: Record<number, number> = { 14: 5, 13: 8, 12: 12, 11: 17 };
  return v.major >= 15 || (minimumMinor[v.major] !== undefined && v.minor >= minimumMinor[v.major]);
}

export interface Compatibility {
  readonly ok: boolean;
  /** What differs, in the user guide's terms. */
  readonly why: string;
}

export function managedMoveCompatibility(fromText: string, toText: string): Compatibility {
  const [from, to] = [parseEngineVersion(fromText), parseEngineVersion(toText)];
  if (!from || !to) return { ok: fromText === toText, why: fromText === toText ? 'identical' : 'the versions differ' };
  if (from.engine !== to.engine) return { ok: false, why: 'different engines' };
  if (from.major !== to.major || from.minor !== to.minor) {
    return { ok: false, why: `major.minor ${from.major}.${from.minor} vs ${to.major}.${to.minor}: a managed move needs the same` };
  }
  if (from.patch === to.patch) return { ok: true, why: 'same major, minor and patch level' };
  if (patchMayDiffer(from) && patchMayDiffer(to)) return { ok: true, why: 'patch levels differ, which this minor version allows' };
  const engine = from.engine === 'aurora-mysql' ? 'Aurora MySQL' : 'this version';
  return { ok: false, why: `patch ${from.patch ?? '-'} vs ${to.patch ?? '-'}: ${engine} needs identical patch levels` };
}
