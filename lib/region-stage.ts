import { Stage, type StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppStack } from './app-stack';
import type { AppConfig } from '#config';
import { InfraStack } from './infra-stack';
import { type RegionRole, STACK_NAMES } from '#names';

export interface RegionStageProps extends StageProps {
  readonly role: RegionRole;
  readonly config: AppConfig;
}

/**
 * Everything one region runs: `ToDoMgmt-infra-<role>` (network, database, proxy) then
 * `ToDoMgmt-app-<role>` (functions, API, and in the primary the user pool and CloudFront).
 * Stack names are set explicitly so they read the same in the console, the CLI and the scripts.
 */
export class RegionStage extends Stage {
  readonly infra: InfraStack;
  readonly app: AppStack;

  constructor(scope: Construct, id: string, props: RegionStageProps) {
    super(scope, id, props);
    const { role, config } = props;

    this.infra = new InfraStack(this, STACK_NAMES.infra(role), {
      stackName: STACK_NAMES.infra(role),
      description: `ToDoMgmt ${role}: VPC, KMS, Aurora ${role === 'pri' ? 'global database (primary)' : 'secondary cluster'}, RDS Proxy`,
      terminationProtection: config.db.deletionProtection,
      role,
      config,
    });

    this.app = new AppStack(this, STACK_NAMES.app(role), {
      stackName: STACK_NAMES.app(role),
      description: `ToDoMgmt ${role}: functions, REST API${role === 'pri' ? ', Cognito, CloudFront' : ''}`,
      role,
      config,
      vpc: this.infra.network.vpc,
      functionSubnets: this.infra.network.functionSubnets,
      functionSecurityGroup: this.infra.functionSecurityGroup,
      proxy: this.infra.proxy,
    });
  }
}
