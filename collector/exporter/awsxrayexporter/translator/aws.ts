/**
 * Resource-derived fields: `origin` (upstream's mapping from cloud.platform), a minimal `aws`
 * block and `service.version`.
 */
import type { KeyValue } from '../../../pdata/model.js';
import { getStringAttr } from '../../../pdata/model.js';

export const Origin = {
  EC2: 'AWS::EC2::Instance',
  ECS: 'AWS::ECS::Container',
  ECS_EC2: 'AWS::ECS::EC2',
  ECS_FARGATE: 'AWS::ECS::Fargate',
  BEANSTALK: 'AWS::ElasticBeanstalk::Environment',
  EKS: 'AWS::EKS::Container',
  APP_RUNNER: 'AWS::AppRunner::Service',
} as const;

/**
 * Upstream: no origin unless cloud.provider is absent or `aws`; then by cloud.platform. Our one
 * addition: a resource that says cloud.provider=aws and carries Kubernetes attributes
 * (k8s.cluster.name / k8s.pod.name) but no cloud.platform is on EKS.
 */
export function determineOrigin(res: readonly KeyValue[]): string | undefined {
  if (res.length === 0) return undefined;
  const provider = getStringAttr(res, 'cloud.provider');
  if (provider !== undefined && provider !== 'aws') return undefined;
  const platform = getStringAttr(res, 'cloud.platform');
  switch (platform) {
    case 'aws_app_runner':
      return Origin.APP_RUNNER;
    case 'aws_eks':
      return Origin.EKS;
    case 'aws_elastic_beanstalk':
      return Origin.BEANSTALK;
    case 'aws_ecs': {
      const lt = getStringAttr(res, 'aws.ecs.launchtype');
      return lt === 'ec2' ? Origin.ECS_EC2 : lt === 'fargate' ? Origin.ECS_FARGATE : Origin.ECS;
    }
    case 'aws_ec2':
      return Origin.EC2;
    case undefined:
      if (provider === 'aws' && (getStringAttr(res, 'k8s.cluster.name') !== undefined || getStringAttr(res, 'k8s.pod.name') !== undefined)) {
        return Origin.EKS;
      }
      return undefined;
    default:
      return undefined;
  }
}

export interface AwsBlock {
  account_id?: string;
  xray?: { sdk?: string; sdk_version?: string; auto_instrumentation?: boolean };
  eks?: { cluster_name?: string; pod?: string; container_id?: string };
  ec2?: { instance_id?: string; availability_zone?: string };
  region?: string;
  operation?: string;
  request_id?: string;
}

/** Minimal `aws` block: account, SDK, EKS/EC2 identity from the resource; AWS SDK call facts from the span. */
export function makeAwsBlock(res: readonly KeyValue[], spanAttrs: readonly KeyValue[], isSegment: boolean): AwsBlock | undefined {
  const aws: AwsBlock = {};
  if (isSegment) {
    const account = getStringAttr(res, 'cloud.account.id');
    if (account) aws.account_id = account;
    const sdkName = getStringAttr(res, 'telemetry.sdk.name');
    const sdkLang = getStringAttr(res, 'telemetry.sdk.language');
    const sdkVersion = getStringAttr(res, 'telemetry.sdk.version');
    if (sdkName || sdkLang) {
      aws.xray = { sdk: [sdkName, sdkLang].filter(Boolean).join(' for ') };
      if (sdkVersion) aws.xray.sdk_version = sdkVersion;
    }
    const cluster = getStringAttr(res, 'k8s.cluster.name');
    const pod = getStringAttr(res, 'k8s.pod.name');
    const container = getStringAttr(res, 'container.id');
    if (cluster || pod) {
      aws.eks = {};
      if (cluster) aws.eks.cluster_name = cluster;
      if (pod) aws.eks.pod = pod;
      if (container) aws.eks.container_id = container;
    }
    const instance = getStringAttr(res, 'host.id');
    const zone = getStringAttr(res, 'cloud.availability_zone');
    if (getStringAttr(res, 'cloud.platform') === 'aws_ec2' && (instance || zone)) {
      aws.ec2 = {};
      if (instance) aws.ec2.instance_id = instance;
      if (zone) aws.ec2.availability_zone = zone;
    }
  }
  if (getStringAttr(spanAttrs, 'rpc.system') === 'aws-api') {
    const op = getStringAttr(spanAttrs, 'rpc.method') ?? getStringAttr(spanAttrs, 'aws.operation');
    if (op) aws.operation = op;
    const region = getStringAttr(spanAttrs, 'aws.region') ?? getStringAttr(res, 'cloud.region');
    if (region) aws.region = region;
    const reqId = getStringAttr(spanAttrs, 'aws.request_id') ?? getStringAttr(spanAttrs, 'aws.requestId');
    if (reqId) aws.request_id = reqId;
  }
  return Object.keys(aws).length > 0 ? aws : undefined;
}
