import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DB_USER, dbAppSecretName, dbSecretName, GLOBAL_CLUSTER_ID } from '#names';
import { ReplicaSecret } from '../replica-secret';
import { GlobalDatabaseMember, type GlobalDatabaseMemberProps } from './member';

export type GlobalDatabaseSecondaryProps = GlobalDatabaseMemberProps;

/**
 * The global database's secondary member (region role `secd`): a cluster that joins the global cluster
 * the primary created, with a reader so that it can be switched over to, and the local replicas of the
 * primary's master and application secrets for its proxy.
 */
export class GlobalDatabaseSecondary extends GlobalDatabaseMember {
  readonly key: kms.Key;
  readonly secret: secretsmanager.ISecret;
  readonly appSecret: secretsmanager.ISecret;
  readonly cluster: rds.DatabaseCluster;

  constructor(scope: Construct, id: string, props: GlobalDatabaseSecondaryProps) {
    super(scope, id, 'secd');

    // A copy of the primary's data with no snapshot of its own to decrypt: the key goes with the stack.
    this.key = this.createKey(RemovalPolicy.DESTROY);
    // Read in-region: the proxy keeps working with the primary region gone.
    this.secret = new ReplicaSecret(this, 'DbSecretReplica', { secretName: dbSecretName }).secret;
    this.appSecret = new ReplicaSecret(this, 'DbAppSecretReplica', { secretName: dbAppSecretName }).secret;

    this.cluster = this.createCluster(props, this.key, {
      // The secondary gets its users from the global database; these credentials are removed below.
      credentials: rds.Credentials.fromPassword(DB_USER, SecretValue.unsafePlainText('not-rendered-see-below')),
      // A secondary without a reader cannot be switched over to.
      readers: [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: false })],
      // A copy, and Aurora cannot take a final snapshot of a global database's secondary cluster: it simply goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Join the global database by escape hatch (the L2 has no global-cluster prop): no master credentials, no
    // database name, both come from the primary.
    const cfnCluster = this.cluster.node.defaultChild as rds.CfnDBCluster;
    cfnCluster.addPropertyOverride('GlobalClusterIdentifier', GLOBAL_CLUSTER_ID);
    cfnCluster.addPropertyDeletionOverride('MasterUsername');
    cfnCluster.addPropertyDeletionOverride('MasterUserPassword');
  }
}
