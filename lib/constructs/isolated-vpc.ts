import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface IsolatedVpcProps {
  readonly cidr: string;
}

/**
 * A VPC with no route to the internet: isolated subnets for the database and the RDS Proxy, and isolated
 * subnets for the functions. No NAT gateways and no VPC endpoints, on purpose: the functions only talk
 * to the RDS Proxy (inside the VPC); the IAM auth token is signed locally from the function's own
 * credentials; logs leave through the Lambda service, not the VPC; the table trigger and the
 * cross-region parameter reader run outside the VPC. Anything that later needs an AWS API from inside
 * the VPC should add the matching interface endpoint here rather than a NAT gateway.
 */
export class IsolatedVpc extends Construct {
  static readonly DB_SUBNETS = 'db';
  static readonly FUNCTION_SUBNETS = 'functions';

  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      // Three AZs where the region has them: Aurora and the proxy survive the loss of one AZ.
      maxAzs: 3,
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [
        { name: IsolatedVpc.DB_SUBNETS, subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        { name: IsolatedVpc.FUNCTION_SUBNETS, subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      // Diagnostics, not data: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.TEN_MINUTES,
    });
  }

  get dbSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: IsolatedVpc.DB_SUBNETS };
  }

  get functionSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: IsolatedVpc.FUNCTION_SUBNETS };
  }
}
