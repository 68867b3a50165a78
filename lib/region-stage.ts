import { Stage, type StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AppStack, AppStackProps } from './app-stack';
import type { AppConfig } from '#config';
import { InfraStack } from './infra-stack';
import { PrimaryAppStack } from './primary-app-stack';
import { SecondaryAppStack } from './secondary-app-stack';
import { type RegionRole, STACK_NAMES } from '#names';

export interface RegionStageProps extends StageProps {
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
}

const STACK_DESCRIPTIONS: Readonly<Record<RegionRole, { readonly infra: string; readonly app: string }>> = {
  pri: {
    infra: 'ToDoMgmt pri: VPC, KMS, Aurora global database (primary), RDS Proxy',
    app: 'ToDoMgmt pri: functions, REST API, Cognito, CloudFront, table setup, alarms',
  },
  secd: {
    infra: 'ToDoMgmt secd: VPC, KMS, Aurora secondary cluster, RDS Proxy',
    app: 'ToDoMgmt secd: functions, REST API, table setup, alarms',
  },
};

/**
 * Everything one region runs: `ToDoMgmt-infra-<pri|secd>` (network, database, proxy) then
 * `ToDoMgmt-app-<pri|secd>` (functions, API, and in the primary the user pool and CloudFront).
 * Stack names are set explicitly so they read the same in the console, the CLI and the scripts.
 */
export class RegionStage extends Stage {
  readonly infra: InfraStack;
  readonly app: AppStack;

  constructor(scope: Construct, id: string, props: RegionStageProps) {
    super(scope, id, props);
    const { regionRole, config } = props;

    this.infra = new InfraStack(this, STACK_NAMES.infra(regionRole), {
      stackName: STACK_NAMES.infra(regionRole),
      description: STACK_DESCRIPTIONS[regionRole].infra,
      terminationProtection: config.db.deletionProtection,
      regionRole,
      config,
    });

    const appStackProps: AppStackProps = {
      stackName: STACK_NAMES.app(regionRole),
      description: STACK_DESCRIPTIONS[regionRole].app,
      config,
      vpc: this.infra.network.vpc,
      functionSubnets: this.infra.network.functionSubnets,
      functionSecurityGroup: this.infra.functionSecurityGroup,
      tableFunctionSecurityGroup: this.infra.tableFunctionSecurityGroup,
      proxy: this.infra.proxy,
      proxyReadEndpoint: this.infra.proxyReadEndpoint,
      appSecret: this.infra.database.appSecret,
    };
    this.app =
      regionRole === 'pri'
        ? new PrimaryAppStack(this, STACK_NAMES.app(regionRole), appStackProps)
        : new SecondaryAppStack(this, STACK_NAMES.app(regionRole), appStackProps);
  }
}
