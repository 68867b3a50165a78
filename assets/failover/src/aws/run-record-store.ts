// The run record on AWS: one SSM String parameter, FAILOVER_RUN_PARAMETER, in each region the run may
// call, so that either region's failover pipeline can read it while the other region is down. Discovery
// reads it with the other /todomgmt parameters (GetParametersByPath); here it is written, best effort.
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { FAILOVER_RUN_PARAMETER, type RegionRole } from '#names';
import type { RecordWrite } from '../driver';
import { newestRecord, parseRunRecord, RunRecordFormatError, type RunRecord } from '../run-record';
import { AwsCallError } from './aws-call';
import type { AwsContext } from './discover';

/** The newest record among the regions' copies; an unreadable copy is skipped and named in `sources`. */
export function readRunRecords(
  copies: ReadonlyMap<RegionRole, string | undefined>,
  ctx: AwsContext,
  sources: string[],
): RunRecord | undefined {
  const records: RunRecord[] = [];
  for (const [role, text] of copies) {
    if (text === undefined) continue;
    try {
      records.push(parseRunRecord(text));
    } catch (error) {
      if (!(error instanceof RunRecordFormatError)) throw error;
      sources.push(`run record ${FAILOVER_RUN_PARAMETER} in ${ctx.regions[role]} ignored: ${error.message}`);
    }
  }
  const newest = newestRecord(records);
  if (newest) sources.push(`run record from ssm:${FAILOVER_RUN_PARAMETER} (${newest.state}, ${newest.updatedAt})`);
  return newest;
}

export async function writeRunRecord(ctx: AwsContext, record: RunRecord, roles: readonly RegionRole[]): Promise<RecordWrite[]> {
  const value = JSON.stringify(record);
  return Promise.all(
    roles.map(async (role): Promise<RecordWrite> => {
      const region = ctx.regions[role];
      const command = new PutParameterCommand({
        Name: FAILOVER_RUN_PARAMETER,
        Value: value,
        Type: 'String',
        Overwrite: true,
        Description: 'ToDoMgmt failover: the last run (mode, direction, last step); written by the failover program',
      });
      try {
        await ctx.caller.run('ssm', region, command, () => ctx.clients.ssm(region).send(command));
        return { role, saved: true, detail: `${region}: saved` };
      } catch (error) {
        // Best effort: the run goes on; the copy in the other region (if any) tells a rerun what happened.
        const why = error instanceof AwsCallError && error.kind === 'unreachable' ? 'did not answer' : (error as Error).message;
        return { role, saved: false, detail: `${region}: not written (${why})` };
      }
    }),
  );
}
