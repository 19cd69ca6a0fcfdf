/**
 * The `aws` block and the other resource-derived fields (`origin`, `service.version`), as
 * upstream awsxrayexporter builds them: resource facts (account, SDK, EC2 / ECS / Elastic
 * Beanstalk / EKS identity, CloudWatch log groups) once per resource, and per span the facts of
 * an AWS SDK call (operation, region, request ID, queue URL, table names) — with or without
 * `rpc.system: aws-api`. Differences from upstream (docs/exporter-xray.md): resource facts go on
 * segments only; a non-AWS `cloud.provider` drops only those, not a span's AWS call facts;
 * `rpc.method` is the operation of AWS SDK spans only; `host.id` alone makes no `ec2` block
 * unless the provider is AWS; `cloud.provider: aws` with Kubernetes attributes and no platform is
 * EKS.
 */
import type { AnyValue, KeyValue } from '../../../pdata/model.js';
import { Take } from './http.js';

export const Origin = {
  EC2: 'AWS::EC2::Instance',
  ECS: 'AWS::ECS::Container',
  ECS_EC2: 'AWS::ECS::EC2',
  ECS_FARGATE: 'AWS::ECS::Fargate',
  BEANSTALK: 'AWS::ElasticBeanstalk::Environment',
  EKS: 'AWS::EKS::Container',
  APP_RUNNER: 'AWS::AppRunner::Service',
} as const;

export interface AwsBlock {
  account_id?: string;
  elastic_beanstalk?: { environment_name?: string; version_label?: string; deployment_id: number };
  cloudwatch_logs?: Array<{ log_group: string; arn?: string }>;
  ecs?: {
    container?: string;
    container_id?: string;
    task_arn?: string;
    task_family?: string;
    cluster_arn?: string;
    container_arn?: string;
    availability_zone?: string;
    launch_type?: string;
  };
  ec2?: { instance_id?: string; availability_zone?: string; instance_size?: string; ami_id?: string };
  eks?: { cluster_name?: string; pod?: string; container_id?: string };
  xray?: { sdk?: string; sdk_version?: string; auto_instrumentation: boolean };
  operation?: string;
  region?: string;
  request_id?: string;
  queue_url?: string;
  table_name?: string;
  table_names?: string[];
}

/** What a resource says, read once per resource (all its spans share it). */
export interface ResourceFacts {
  origin?: string;
  /** The resource part of the `aws` block (segments only). */
  aws?: AwsBlock;
  /** `service.version`, else `container.image.tag` (as upstream). */
  serviceVersion?: string;
  serviceName?: string;
  sdkLanguage?: string;
}

const str = (v: AnyValue | null | undefined): string | undefined => (v != null && v.stringValue != null ? v.stringValue : undefined);

export function readResource(res: readonly KeyValue[]): ResourceFacts {
  const r: Record<string, string | undefined> = {};
  let logGroups: AnyValue | undefined;
  let logGroupArns: AnyValue | undefined;
  for (const kv of res) {
    if (kv.key === 'aws.log.group.names') logGroups = kv.value ?? undefined;
    else if (kv.key === 'aws.log.group.arns') logGroupArns = kv.value ?? undefined;
    else if (RESOURCE_KEYS.has(kv.key) && r[kv.key] === undefined) r[kv.key] = str(kv.value);
  }
  const facts: ResourceFacts = {};
  const version = r['service.version'] ?? r['container.image.tag'];
  if (version !== undefined) facts.serviceVersion = version;
  if (r['service.name'] !== undefined) facts.serviceName = r['service.name'];
  if (r['telemetry.sdk.language'] !== undefined) facts.sdkLanguage = r['telemetry.sdk.language'];
  const provider = r['cloud.provider'];
  if (res.length === 0 || (provider !== undefined && provider !== 'aws')) return facts;
  const origin = determineOrigin(r);
  if (origin) facts.origin = origin;
  const aws = resourceAwsBlock(r, logGroupArns ?? logGroups, logGroupArns !== undefined);
  if (aws) facts.aws = aws;
  return facts;
}

const RESOURCE_KEYS = new Set([
  'service.name', 'service.version', 'service.namespace', 'service.instance.id', 'container.image.tag', 'container.name', 'container.id',
  'telemetry.sdk.name', 'telemetry.sdk.language', 'telemetry.sdk.version', 'telemetry.auto.version', 'cloud.provider', 'cloud.platform',
  'cloud.account.id', 'cloud.availability_zone', 'host.id', 'host.type', 'host.image.id', 'k8s.cluster.name', 'k8s.pod.name',
  'aws.ecs.launchtype', 'aws.ecs.cluster.arn', 'aws.ecs.container.arn', 'aws.ecs.task.arn', 'aws.ecs.task.family',
]);

/**
 * Upstream: no origin unless cloud.provider is absent or `aws`; then by cloud.platform. Our one
 * addition: a resource that says cloud.provider=aws and carries Kubernetes attributes
 * (k8s.cluster.name / k8s.pod.name) but no cloud.platform is on EKS.
 */
function determineOrigin(r: Record<string, string | undefined>): string | undefined {
  switch (r['cloud.platform']) {
    case 'aws_app_runner':
      return Origin.APP_RUNNER;
    case 'aws_eks':
      return Origin.EKS;
    case 'aws_elastic_beanstalk':
      return Origin.BEANSTALK;
    case 'aws_ecs': {
      const lt = r['aws.ecs.launchtype'];
      return lt === 'ec2' ? Origin.ECS_EC2 : lt === 'fargate' ? Origin.ECS_FARGATE : Origin.ECS;
    }
    case 'aws_ec2':
      return Origin.EC2;
    case undefined:
      return r['cloud.provider'] === 'aws' && (r['k8s.cluster.name'] !== undefined || r['k8s.pod.name'] !== undefined) ? Origin.EKS : undefined;
    default:
      return undefined;
  }
}

/** Sets `o[k] = v` when v is a non-empty string. */
function put<T extends object>(o: T, k: keyof T, v: string | undefined): void {
  if (v) (o as Record<keyof T, unknown>)[k] = v;
}

function resourceAwsBlock(r: Record<string, string | undefined>, logGroups: AnyValue | undefined, areArns: boolean): AwsBlock | undefined {
  const aws: AwsBlock = {};
  const platform = r['cloud.platform'];
  put(aws, 'account_id', r['cloud.account.id']);
  if (platform === 'aws_elastic_beanstalk' && r['service.instance.id']) {
    const id = Number(r['service.instance.id']);
    aws.elastic_beanstalk = { deployment_id: Number.isSafeInteger(id) ? id : 0 };
    put(aws.elastic_beanstalk, 'environment_name', r['service.namespace']);
    put(aws.elastic_beanstalk, 'version_label', r['service.version']);
  }
  const groups = logGroups ? logGroupList(logGroups, areArns) : undefined;
  if (groups && groups.length > 0) aws.cloudwatch_logs = groups;
  if (platform === 'aws_ecs') {
    const ecs: NonNullable<AwsBlock['ecs']> = {};
    put(ecs, 'container', r['container.name']);
    put(ecs, 'container_id', r['container.id']);
    put(ecs, 'task_arn', r['aws.ecs.task.arn']);
    put(ecs, 'task_family', r['aws.ecs.task.family']);
    put(ecs, 'cluster_arn', r['aws.ecs.cluster.arn']);
    put(ecs, 'container_arn', r['aws.ecs.container.arn']);
    put(ecs, 'availability_zone', r['cloud.availability_zone']);
    put(ecs, 'launch_type', r['aws.ecs.launchtype']);
    aws.ecs = ecs;
  }
  if (platform === 'aws_ec2' || (r['cloud.provider'] === 'aws' && r['host.id'])) {
    const ec2: NonNullable<AwsBlock['ec2']> = {};
    put(ec2, 'instance_id', r['host.id']);
    put(ec2, 'availability_zone', r['cloud.availability_zone']);
    put(ec2, 'instance_size', r['host.type']);
    put(ec2, 'ami_id', r['host.image.id']);
    aws.ec2 = ec2;
  }
  if (platform === 'aws_eks' || r['k8s.cluster.name'] || r['k8s.pod.name']) {
    const eks: NonNullable<AwsBlock['eks']> = {};
    put(eks, 'cluster_name', r['k8s.cluster.name']);
    put(eks, 'pod', r['k8s.pod.name']);
    put(eks, 'container_id', r['container.id']);
    aws.eks = eks;
  }
  const sdkName = r['telemetry.sdk.name'];
  const sdkLang = r['telemetry.sdk.language'];
  const auto = r['telemetry.auto.version'];
  if (sdkName || sdkLang || auto) {
    // "X-Ray SDK for Java" is the X-Ray SDKs' convention; upstream writes "opentelemetry for java".
    aws.xray = { auto_instrumentation: !!auto };
    put(aws.xray, 'sdk', sdkName && sdkLang ? `${sdkName} for ${sdkLang}` : sdkName || undefined);
    put(aws.xray, 'sdk_version', r['telemetry.sdk.version']);
  }
  return Object.keys(aws).length > 0 ? aws : undefined;
}

/**
 * Log groups from a list, or from one string with `&` between names (what OTEL_RESOURCE_ATTRIBUTES
 * can carry); for ARNs the group name is the ARN's 7th `:` field.
 */
function logGroupList(v: AnyValue, areArns: boolean): Array<{ log_group: string; arn?: string }> {
  const items: string[] = [];
  if (v.stringValue != null) for (const s of v.stringValue.split('&')) if (s !== '') items.push(s);
  if (v.arrayValue) for (const x of v.arrayValue.values ?? []) if (x.stringValue) items.push(x.stringValue);
  return items.map((s) => {
    if (!areArns) return { log_group: s };
    const parts = s.split(':');
    return { log_group: parts.length >= 7 ? parts[6]! : s, arn: s };
  });
}

/** The facts of an AWS SDK call found in a span's attributes. */
export class AwsCallFacts {
  operation?: string;
  accountId?: string;
  region?: string;
  requestId?: string;
  queueUrl?: string;
  messagingUrl?: string;
  tableName?: string;
  tableNames?: string[];
  /** `rpc.method`: the operation of an AWS SDK span, an ordinary attribute otherwise. */
  rpcMethod?: KeyValue;
}

export const AWS_ATTRIBUTE_KEYS: readonly string[] = [
  'aws.operation', 'rpc.method', 'aws.account_id', 'aws.region', 'aws.request_id', 'aws.requestId', 'aws.queue_url', 'aws.queue.url',
  'aws.sqs.queue.url', 'messaging.url', 'aws.table_name', 'aws.table.name', 'aws.dynamodb.table_names',
];

/** Records an AWS call attribute; the consumed ones appear in the `aws` block only (as upstream). */
export function takeAwsAttribute(kv: KeyValue, f: AwsCallFacts): Take {
  const v = kv.value;
  const s = str(v);
  switch (kv.key) {
    case 'rpc.method':
      if (s === undefined) return Take.Keep;
      f.rpcMethod = kv;
      return Take.Part;
    case 'aws.dynamodb.table_names': {
      // Kept in metadata too (as upstream): the list may be long.
      const names = v?.arrayValue ? (v.arrayValue.values ?? []).map(str).filter((x): x is string => x !== undefined) : s !== undefined ? [s] : [];
      if (names.length === 1) f.tableName = names[0];
      else if (names.length > 1) f.tableNames = names;
      return Take.Keep;
    }
    case 'messaging.url':
    case 'aws.sqs.queue.url':
      if (s !== undefined) f.messagingUrl ??= s;
      return Take.Keep;
    default:
      break;
  }
  if (s === undefined) return Take.Keep;
  switch (kv.key) {
    case 'aws.operation':
      f.operation = s;
      break;
    case 'aws.account_id':
      f.accountId = s;
      break;
    case 'aws.region':
      f.region = s;
      break;
    case 'aws.request_id':
    case 'aws.requestId':
      f.requestId = s;
      break;
    case 'aws.queue_url':
    case 'aws.queue.url':
      f.queueUrl = s;
      break;
    case 'aws.table_name':
    case 'aws.table.name':
      if (f.tableNames === undefined) f.tableName ??= s;
      break;
    default:
      return Take.Keep;
  }
  return Take.Consume;
}

/**
 * The `aws` block of one document: the resource part (segments) and the call facts (documents
 * that represent the call). `awsSdkSpan` decides whether `rpc.method` is the operation.
 */
export function makeAwsBlock(resourceAws: AwsBlock | undefined, call: AwsCallFacts | undefined, awsSdkSpan: boolean): AwsBlock | undefined {
  if (!call) return resourceAws;
  const aws: AwsBlock = resourceAws ? { ...resourceAws } : {};
  put(aws, 'account_id', call.accountId);
  put(aws, 'operation', call.operation ?? (awsSdkSpan ? call.rpcMethod?.value?.stringValue ?? undefined : undefined));
  put(aws, 'region', call.region);
  put(aws, 'request_id', call.requestId);
  put(aws, 'queue_url', call.messagingUrl ?? call.queueUrl);
  if (call.tableNames) aws.table_names = call.tableNames;
  else put(aws, 'table_name', call.tableName);
  return Object.keys(aws).length > 0 ? aws : undefined;
}

/** Whether `rpc.method` is consumed: on an AWS SDK span it names the operation (aws.operation wins, as upstream). */
export function usesRpcMethod(call: AwsCallFacts, awsSdkSpan: boolean): boolean {
  return awsSdkSpan && call.rpcMethod !== undefined;
}
