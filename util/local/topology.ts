// The persisted truth about who writes. Every restart (the whole rehearsal, or one revived region)
// reads it: a database that is not the writer starts read-only and rejoins as a replica; it never
// takes writes because it was the writer before it went down.
import type { RegionRole } from '#names';
import { readJson, withFileLock, writeJson } from './state';

export interface TopologyEvent {
  readonly generation: number;
  readonly writer: RegionRole;
  readonly mode: string;
  readonly at: string;
  readonly note?: string;
}

export interface LocalTopology {
  readonly writer: RegionRole;
  /** +1 on every change of writer. */
  readonly generation: number;
  readonly updatedAt: string;
  /** Last changes, newest last (bounded). */
  readonly history: readonly TopologyEvent[];
}

export const INITIAL_TOPOLOGY = (): LocalTopology => ({
  writer: 'pri',
  generation: 1,
  updatedAt: new Date().toISOString(),
  history: [{ generation: 1, writer: 'pri', mode: 'initial', at: new Date().toISOString() }],
});

export function readTopology(file: string): LocalTopology | undefined {
  const topology = readJson<LocalTopology>(file);
  if (topology && topology.writer !== 'pri' && topology.writer !== 'secd') {
    throw new Error(`${file}: writer must be pri or secd (found ${JSON.stringify(topology.writer)})`);
  }
  return topology;
}

export function loadOrInitTopology(file: string): Promise<LocalTopology> {
  return withFileLock(file, () => {
    const existing = readTopology(file);
    if (existing) return existing;
    const initial = INITIAL_TOPOLOGY();
    writeJson(file, initial);
    return initial;
  });
}

/** Records a new writer; a no-op when it already is the writer. */
export function setWriter(
  file: string,
  writer: RegionRole,
  mode: string,
  note?: string,
): Promise<{ topology: LocalTopology; changed: boolean }> {
  return withFileLock(file, () => {
    const current = readTopology(file) ?? INITIAL_TOPOLOGY();
    if (current.writer === writer) return { topology: current, changed: false };
    const at = new Date().toISOString();
    const generation = current.generation + 1;
    const topology: LocalTopology = {
      writer,
      generation,
      updatedAt: at,
      history: [...current.history, { generation, writer, mode, at, ...(note ? { note } : {}) }].slice(-50),
    };
    writeJson(file, topology);
    return { topology, changed: true };
  });
}
