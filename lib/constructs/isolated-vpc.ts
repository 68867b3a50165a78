import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface IsolatedVpcProps {
  readonly cidr: string;
}

/**
 * A VPC with no route to the internet: isolated subnets for the database and the RDS Proxy, and isolated
 * subnets for the functions. No NAT gateways, on purpose: the ToDo functions only talk to the RDS Proxy
 * (inside the VPC); the IAM auth token is signed locally from the function's own credentials; logs leave
 * through the Lambda service, not the VPC; the table trigger and the cross-region parameter reader run
 * outside the VPC. The one AWS API called from inside is Secrets Manager (the table step reads the
 * application password), through an interface endpoint only its caller may reach; anything else that
 * later needs an AWS API from inside should get its own endpoint here rather than a NAT gateway.
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

  /**
   * Secrets Manager's interface endpoint with private DNS, so the SDK's default endpoint resolves to it,
   * reachable on 443 from `client` only. One AZ on purpose: its only caller is the table step at deploy
   * time (a deploy during that AZ's outage fails and is re-run), and each AZ costs an hourly fee.
   */
  addSecretsManagerEndpoint(client: ec2.SecurityGroup): ec2.InterfaceVpcEndpoint {
    const securityGroup = new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'ToDoMgmt Secrets Manager endpoint: HTTPS from CreateTableFunction only',
      allowAllOutbound: false,
    });
    const endpoint = this.vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      privateDnsEnabled: true,
      subnets: { subnetGroupName: IsolatedVpc.FUNCTION_SUBNETS, availabilityZones: [this.vpc.availabilityZones[0]] },
      securityGroups: [securityGroup],
      open: false,
    });
    securityGroup.addIngressRule(client, ec2.Port.HTTPS, 'CreateTableFunction to Secrets Manager');
    client.addEgressRule(ec2.Peer.securityGroupId(securityGroup.securityGroupId), ec2.Port.HTTPS, 'CreateTableFunction to Secrets Manager');
    return endpoint;
  }

  get dbSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: IsolatedVpc.DB_SUBNETS };
  }

  get functionSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: IsolatedVpc.FUNCTION_SUBNETS };
  }
}
