// The edge's KeyValueStore (a global data plane: never down, ETag-conditional writes, no deployment) and
// Cognito's user pool replica in the secondary (ListUserPoolReplicas, UpdateUserPoolReplica), per region.
import { DeleteKeyCommand, DescribeKeyValueStoreCommand, GetKeyCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { ListUserPoolReplicasCommand, UpdateUserPoolReplicaCommand } from '@aws-sdk/client-cognito-identity-provider';
import { ACCOUNT, KVS_ARN, REGIONS, REPLICA_ARN, USER_POOL_ID, fault } from './fixtures';
import { route, type Route } from './route';
import type { AwsWorldState } from './state';

const notFound = (message: string) => fault('ResourceNotFoundException', message, { $metadata: { httpStatusCode: 404 } });

const checkStore = (arn: string | undefined) => {
  if (arn !== KVS_ARN) throw notFound(`Key value store ${arn} not found`);
};

/** A stale IfMatch is ConflictException (HTTP 409); `kvsConflicts` makes someone else write first. */
const checkEtag = (world: AwsWorldState, ifMatch: string | undefined) => {
  if (world.kvsConflicts > 0) {
    world.kvsConflicts--;
    world.kvs.set('someone-else', String(world.kvsEtag));
    world.kvsEtag++;
  }
  if (ifMatch !== `KV${world.kvsEtag}`) {
    throw fault('ConflictException', 'The ETag does not match the current one.', { $metadata: { httpStatusCode: 409 } });
  }
};

const size = (world: AwsWorldState) => [...world.kvs].reduce((n, [k, v]) => n + k.length + v.length, 0);

export const kvsRoutes = (world: AwsWorldState): Route[] => [
  route(DescribeKeyValueStoreCommand).answer((input) => {
    checkStore(input.KvsARN);
    return {
      KvsARN: KVS_ARN,
      ETag: `KV${world.kvsEtag}`,
      ItemCount: world.kvs.size,
      TotalSizeInBytes: size(world),
      Created: new Date(0),
      Status: 'READY',
    };
  }),
  route(GetKeyCommand).answer((input) => {
    checkStore(input.KvsARN);
    const value = world.kvs.get(input.Key!);
    if (value === undefined) throw notFound(`Key ${input.Key} not found`);
    return { Key: input.Key, Value: value, ItemCount: world.kvs.size, TotalSizeInBytes: size(world) };
  }),
  route(PutKeyCommand).answer((input) => {
    checkStore(input.KvsARN);
    checkEtag(world, input.IfMatch);
    world.kvs.set(input.Key!, input.Value!);
    world.kvsEtag++;
    return { ETag: `KV${world.kvsEtag}`, ItemCount: world.kvs.size, TotalSizeInBytes: size(world) };
  }),
  route(DeleteKeyCommand).answer((input) => {
    checkStore(input.KvsARN);
    checkEtag(world, input.IfMatch);
    if (!world.kvs.delete(input.Key!)) throw notFound(`Key ${input.Key} not found`);
    world.kvsEtag++;
    return { ETag: `KV${world.kvsEtag}`, ItemCount: world.kvs.size, TotalSizeInBytes: size(world) };
  }),
];

/** Either region answers about the pool (the API reference: "can be made in both primary and secondary regions"). */
export const cognitoRoutes = (world: AwsWorldState): Route[] => {
  const checkPool = (id: string | undefined) => {
    if (id !== USER_POOL_ID) throw notFound(`User pool ${id} does not exist.`);
  };
  const replica = () => {
    if (world.replicaStatus === 'INACTIVE' && world.replicaActivatedAt > 0 && world.clock.now() >= world.replicaActivatedAt) {
      world.replicaStatus = 'ACTIVE';
    }
    return world.replicaStatus === undefined
      ? []
      : [{ RegionName: REGIONS.secd, Role: 'SECONDARY' as const, Status: world.replicaStatus, UserPoolArn: REPLICA_ARN }];
  };
  return [
    route(ListUserPoolReplicasCommand).answer((input) => {
      checkPool(input.UserPoolId);
      return {
        UserPoolReplicas: [
          {
            RegionName: REGIONS.pri,
            Role: 'PRIMARY',
            Status: 'ACTIVE',
            UserPoolArn: `arn:aws:cognito-idp:${REGIONS.pri}:${ACCOUNT}:userpool/${USER_POOL_ID}`,
          },
          ...replica(),
        ],
      };
    }),
    route(UpdateUserPoolReplicaCommand).answer((input) => {
      checkPool(input.UserPoolId);
      const [current] = replica();
      if (input.RegionName !== REGIONS.secd || current === undefined)
        throw notFound(`No replica of ${input.UserPoolId} in ${input.RegionName}`);
      if (current.Status !== 'INACTIVE' && current.Status !== 'ACTIVE') {
        throw fault('InvalidParameterException', `Replica is ${current.Status}`, { $metadata: { httpStatusCode: 400 } });
      }
      if (input.Status === 'ACTIVE' && current.Status === 'INACTIVE')
        world.replicaActivatedAt = world.clock.now() + world.durations.replicaActivation;
      if (input.Status === 'INACTIVE') world.replicaStatus = 'INACTIVE';
      return { UserPoolReplica: { ...current } };
    }),
  ];
};
