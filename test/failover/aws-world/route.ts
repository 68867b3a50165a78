// One simulated API call: the SDK command it answers and how. Typed by the SDK's own input and output
// shapes, so the fake cannot answer in a shape the real service never would.
import type { AwsCommand, AwsStub } from 'aws-sdk-client-mock';
import type { MetadataBearer } from '@smithy/types';

export type ClientStub = AwsStub<object, MetadataBearer, unknown>;

/** What every simulated call goes through before its answer (recording, outages, throttling, ...); throws to fail the call. */
export type Gate = (name: string, input: object, answer: () => unknown) => unknown;

export interface Route {
  /** The API name, `DescribeDBClusters`: what IAM calls the action (after the service prefix). */
  readonly name: string;
  install(stub: ClientStub, gate: Gate): void;
}

/**
 * `route(DescribeDBClustersCommand).answer((input) => ...)`. Two calls so that the command fixes the
 * input and output types before the answer is checked against them (literals such as `'AVAILABLE'`
 * then keep their literal types).
 */
export function route<I extends object, O extends MetadataBearer>(
  command: new (input: I) => AwsCommand<I, O>,
): { answer(answer: (input: I) => Omit<O, '$metadata'>): Route } {
  const name = command.name.replace(/Command$/, '');
  return {
    answer: (answer) => ({
      name,
      install: (stub, gate) => {
        // Like the SDK, a failed call is a rejected promise, never a synchronous throw.
        stub.on(command).callsFake((input: I) => new Promise((resolve) => resolve(gate(name, input, () => answer(input)))));
      },
    }),
  };
}
