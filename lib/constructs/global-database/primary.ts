import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DB_APP_USER, DB_USER, dbAppSecretName, dbSecretName, GLOBAL_CLUSTER_ID } from '#names';
import { APP_PASSWORD_EXCLUDE_CHARACTERS, GlobalDatabaseMember, type GlobalDatabaseMemberProps } from './member';

export interface GlobalDatabasePrimaryProps extends GlobalDatabaseMemberProps {
  /** Created once, here; the secondary gets it through replication. */
  readonly databaseName: string;
  /** The secondary's region: Secrets Manager keeps a replica of the master secret there. */
  readonly secretReplicaRegion: string;
}

/**
 * The global database's primary member (region role `pri`): it owns the master secret, the global
 * cluster itself, and the final snapshot with the key that decrypts it.
 */
export class GlobalDatabasePrimary extends GlobalDatabaseMember {
  readonly key: kms.Key;
  readonly secret: rds.DatabaseSecret;
  readonly appSecret: rds.DatabaseSecret;
  readonly cluster: rds.DatabaseCluster;
  readonly globalCluster: rds.CfnGlobalCluster;

  constructor(scope: Construct, id: string, props: GlobalDatabasePrimaryProps) {
    super(scope, id, 'pri');

    // Must outlive the cluster: its final snapshot is encrypted with it.
    this.key = this.createKey(RemovalPolicy.RETAIN);

    // Replicated by Secrets Manager itself, so the secondary's proxy has the credentials locally even when
    // the primary region is down. AWS-managed key: a replica cannot use the primary region's customer key,
    // and the secondary's key is created after this stack.
    this.secret = new rds.DatabaseSecret(this, 'DbSecret', {
      secretName: dbSecretName,
      username: DB_USER,
      replicaRegions: [{ region: props.secretReplicaRegion }],
    });
    // Goes with the stack: a cluster restored from the final snapshot gets a new master password anyway.
    this.secret.applyRemovalPolicy(RemovalPolicy.DESTROY);
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No automatic rotation: clients never see this password (functions use IAM auth at the proxy), and a rotation ' +
        'Lambda bound to the primary region would fail against a read-only cluster after a failover.',
    });

    // The application user's password, replicated the same way so that the secondary's proxy can log the
    // ToDo functions in while the primary region is down. The table step (master credentials) creates the
    // user with it; the functions never see it (IAM auth at the proxy).
    this.appSecret = new rds.DatabaseSecret(this, 'DbAppSecret', {
      secretName: dbAppSecretName,
      username: DB_APP_USER,
      excludeCharacters: APP_PASSWORD_EXCLUDE_CHARACTERS,
      replicaRegions: [{ region: props.secretReplicaRegion }],
    });
    // Re-created with the stack: the table step sets the user's password from it on every run.
    this.appSecret.applyRemovalPolicy(RemovalPolicy.DESTROY);
    Validations.of(this.appSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No automatic rotation: only the proxies and the table step read it (the functions use IAM auth), and a ' +
        'rotation Lambda bound to the primary region would fail against a read-only cluster after a failover.',
    });

    this.cluster = this.createCluster(props, this.key, {
      credentials: rds.Credentials.fromSecret(this.secret),
      defaultDatabaseName: props.databaseName,
      // The writer alone keeps costs down; the secondary's reader is what a switchover needs.
      readers: [],
      // The primary holds the data: keep a final snapshot.
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });

    // L1: aws-cdk-lib has no L2 for Aurora global databases. The primary cluster is its source.
    this.globalCluster = new rds.CfnGlobalCluster(this, 'GlobalCluster', {
      globalClusterIdentifier: GLOBAL_CLUSTER_ID,
      sourceDbClusterIdentifier: this.cluster.clusterArn,
      deletionProtection: props.deletionProtection,
    });
    this.globalCluster.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}
