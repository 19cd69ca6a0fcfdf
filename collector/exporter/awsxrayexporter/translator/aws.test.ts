/**
 * Resource-derived fields (`origin`, the `aws` block, `service.version`) and the facts of AWS SDK
 * calls, table-tested with the inputs and expected fields of upstream awsxrayexporter's
 * aws_test.go / segment_test.go (TestOrigin*, TestAwsFrom*, TestClientSpanWith*AwsSdk*,
 * TestSpanWith*DynamoDBTable*), as facts; deliberate differences are marked.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../../pdata/model.js';
import { NOW_SEC, SPAN_2, attrs, resource, span } from '../testdata/build.js';
import { Origin, readResource } from './aws.js';
import { makeSegments, type SegmentDocument, type SegmentOptions } from './segment.js';

const opts: SegmentOptions = { mode: 'passthrough', windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set(), indexAllAttributes: false, meshAnnotations: true };

function first(s: ReturnType<typeof span>, res = resource(), o: Partial<SegmentOptions> = {}): SegmentDocument {
  const r = makeSegments(s, res, { ...opts, ...o });
  if (!r.ok) throw new Error(r.reason);
  return r.docs[0]!;
}

describe('readResource', () => {
  const R = (o: Record<string, unknown>) => readResource(attrs(o));

  it.each([
    ['EC2', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ec2', 'host.id': 'instance-123' }, Origin.EC2],
    ['ECS', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ecs', 'host.id': 'instance-123', 'container.name': 'container-123' }, Origin.ECS],
    ['ECS on EC2', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ecs', 'aws.ecs.launchtype': 'ec2' }, Origin.ECS_EC2],
    ['ECS on Fargate', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ecs', 'aws.ecs.launchtype': 'fargate' }, Origin.ECS_FARGATE],
    ['Elastic Beanstalk', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_elastic_beanstalk', 'service.instance.id': 'service-123' }, Origin.BEANSTALK],
    ['EKS', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks', 'k8s.cluster.name': 'production' }, Origin.EKS],
    ['App Runner', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_app_runner' }, Origin.APP_RUNNER],
    ['blank: provider only (TestOriginBlank)', { 'cloud.provider': 'aws' }, undefined],
    ['not AWS (TestOriginNotAws)', { 'cloud.provider': 'gcp', 'host.id': 'instance-123' }, undefined],
    ['the platform wins over Kubernetes attributes (TestOriginPrefersInfraService)', { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ec2', 'k8s.cluster.name': 'cluster-123', 'host.id': 'instance-123' }, Origin.EC2],
    ['no provider, platform EKS', { 'cloud.platform': 'aws_eks' }, Origin.EKS],
    ['addition: provider aws + Kubernetes, no platform → EKS', { 'cloud.provider': 'aws', 'k8s.pod.name': 'p' }, Origin.EKS],
    ['another platform', { 'cloud.platform': 'gcp_kubernetes_engine' }, undefined],
  ])('origin: %s', (_n, res, origin) => {
    expect(R(res).origin).toBe(origin);
  });

  it('EKS resource (TestOriginEks, TestAwsFromEksResource): eks, ec2 from host.id, account, SDK, version from the image tag', () => {
    const f = R({
      'cloud.provider': 'aws', 'cloud.platform': 'aws_eks', 'cloud.account.id': '123456789', 'cloud.availability_zone': 'us-east-1c',
      'container.image.name': 'otel/signupaggregator', 'container.image.tag': 'v1', 'k8s.cluster.name': 'production', 'k8s.namespace.name': 'default',
      'k8s.deployment.name': 'signup_aggregator', 'k8s.pod.name': 'my-deployment-65dcf7d447-ddjnl', 'container.name': 'signup_aggregator-x82ufje83',
      'container.id': '0123456789A', 'host.id': 'i-00f7c0bcb26da2a99', 'host.type': 'm5.xlarge',
      'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'java', 'telemetry.sdk.version': '1.20.0',
    });
    expect(f.serviceVersion).toBe('v1');
    expect(f.aws).toEqual({
      account_id: '123456789',
      eks: { cluster_name: 'production', pod: 'my-deployment-65dcf7d447-ddjnl', container_id: '0123456789A' },
      ec2: { instance_id: 'i-00f7c0bcb26da2a99', availability_zone: 'us-east-1c', instance_size: 'm5.xlarge' },
      xray: { sdk: 'opentelemetry for java', sdk_version: '1.20.0', auto_instrumentation: false },
    });
  });

  it('ECS resource (TestAwsFromEcsResource): every ECS field', () => {
    expect(R({
      'cloud.provider': 'aws', 'cloud.platform': 'aws_ecs', 'cloud.availability_zone': 'us-east-1c', 'container.name': 'signup', 'container.id': 'abc',
      'aws.ecs.task.arn': 'arn:task', 'aws.ecs.task.family': 'fam', 'aws.ecs.cluster.arn': 'arn:cluster', 'aws.ecs.container.arn': 'arn:container', 'aws.ecs.launchtype': 'fargate',
    }).aws).toEqual({
      ecs: { container: 'signup', container_id: 'abc', task_arn: 'arn:task', task_family: 'fam', cluster_arn: 'arn:cluster', container_arn: 'arn:container', availability_zone: 'us-east-1c', launch_type: 'fargate' },
    });
  });

  it('Beanstalk resource (TestAwsFromBeanstalkResource): environment, numeric deployment ID, version label', () => {
    expect(R({ 'cloud.provider': 'aws', 'cloud.platform': 'aws_elastic_beanstalk', 'service.namespace': 'production', 'service.instance.id': '232', 'service.version': 'v3' }).aws)
      .toEqual({ elastic_beanstalk: { environment_name: 'production', deployment_id: 232, version_label: 'v3' } });
    expect(R({ 'cloud.platform': 'aws_elastic_beanstalk', 'service.instance.id': 'not-a-number' }).aws?.elastic_beanstalk?.deployment_id).toBe(0);
  });

  it.each([
    ['names as a list', { 'aws.log.group.names': ['group1', 'group2'] }, [{ log_group: 'group1' }, { log_group: 'group2' }]],
    ['names joined by & (OTEL_RESOURCE_ATTRIBUTES)', { 'aws.log.group.names': 'group1&group2&' }, [{ log_group: 'group1' }, { log_group: 'group2' }]],
    ['ARNs win over names; the name is the 7th field', { 'aws.log.group.names': ['ignored'], 'aws.log.group.arns': ['arn:aws:logs:us-east-1:123456789123:log-group:group1:*'] }, [{ log_group: 'group1', arn: 'arn:aws:logs:us-east-1:123456789123:log-group:group1:*' }]],
    ['an ARN-looking string too short keeps itself as name', { 'aws.log.group.arns': 'arn:aws:logs' }, [{ log_group: 'arn:aws:logs', arn: 'arn:aws:logs' }]],
  ])('CloudWatch log groups: %s (TestLogGroups*)', (_n, res, groups) => {
    expect(R({ 'cloud.provider': 'aws', ...res }).aws?.cloudwatch_logs).toEqual(groups);
  });

  it('auto-instrumentation (telemetry.auto.version) is said in the xray block', () => {
    expect(R({ 'telemetry.sdk.name': 'MySDK', 'telemetry.sdk.version': '1.20.0', 'telemetry.auto.version': '1.2.3' }).aws?.xray).toEqual({ sdk: 'MySDK', sdk_version: '1.20.0', auto_instrumentation: true });
  });

  it('a non-AWS provider gives no resource facts to the aws block (upstream)', () => {
    expect(R({ 'cloud.provider': 'azure', 'cloud.account.id': 'x', 'k8s.cluster.name': 'c', 'telemetry.sdk.name': 'otel' }).aws).toBeUndefined();
  });

  it('host.id alone is no EC2 instance unless the provider is AWS (upstream writes an ec2 block for any host.id)', () => {
    expect(R({ 'host.id': 'machine-1' }).aws?.ec2).toBeUndefined();
    expect(R({ 'cloud.provider': 'aws', 'host.id': 'i-1' }).aws?.ec2).toEqual({ instance_id: 'i-1' });
  });

  it('service.version wins over container.image.tag', () => {
    expect(R({ 'service.version': '2.0', 'container.image.tag': 'v1' }).serviceVersion).toBe('2.0');
  });
});

describe('AWS SDK calls', () => {
  const dynamo = { 'http.method': 'POST', 'http.scheme': 'https', 'http.host': 'dynamodb.us-east-1.amazonaws.com', 'http.target': '/' };

  const REQUEST = { 'aws.request_id': '18BO1FEPJSSAOGNJEDPTPCMIU7VV4KQNSO5AEMVJF66Q9ASUAAJG', 'aws.table_name': 'otel-dev-Testing' };
  it.each([
    ['rpc.system aws-api (TestClientSpanWithRpcAwsSdkClientAttributes): named after rpc.service, operation from rpc.method', { 'rpc.service': 'DynamoDB', 'rpc.method': 'GetItem', 'rpc.system': 'aws-api' }],
    ['without rpc.system (TestClientSpanWithLegacyAwsSdkClientAttributes): aws.service names it, aws.operation wins over rpc.method', { 'aws.service': 'DynamoDB', 'rpc.method': 'IncorrectAWSSDKOperation', 'aws.operation': 'GetItem' }],
  ])('%s', (_n, call) => {
    const d = first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'AmazonDynamoDB.getItem', attributes: { ...dynamo, ...call, ...REQUEST } }));
    expect(d).toMatchObject({ name: 'DynamoDB', namespace: 'aws', type: 'subsegment' });
    expect(d.aws).toEqual({ operation: 'GetItem', request_id: '18BO1FEPJSSAOGNJEDPTPCMIU7VV4KQNSO5AEMVJF66Q9ASUAAJG', table_name: 'otel-dev-Testing' });
    for (const consumed of ['rpc.method', 'aws.operation', 'aws.request_id', 'aws.table_name']) expect(d.metadata?.default?.[consumed], consumed).toBeUndefined();
  });

  it('peer.service wins the name (TestClientSpanWithPeerService) and the call stays remote', () => {
    const d = first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { ...dynamo, 'peer.service': 'cats-table', 'aws.service': 'DynamoDB', 'aws.operation': 'GetItem' } }));
    expect(d).toMatchObject({ name: 'cats-table', namespace: 'remote', aws: { operation: 'GetItem' } });
  });

  it.each([
    ['one table in aws.dynamodb.table_names (TestSpanWithSingleDynamoDBTableHasTableName)', ['table1'], { table_name: 'table1' }],
    ['several (TestSpanWithMultipleDynamoDBTablesHasTableNames)', ['table1', 'table2'], { table_names: ['table1', 'table2'] }],
    ['a string', 'table1', { table_name: 'table1' }],
  ])('%s; the attribute stays in metadata', (_n, names, expected) => {
    const d = first(span({ kind: SpanKind.SERVER, parentSpanId: SPAN_2, attributes: { 'aws.dynamodb.table_names': names } }));
    expect(d.aws).toMatchObject(expected);
    expect(d.aws?.table_name === undefined || d.aws?.table_names === undefined).toBe(true);
    expect(d.metadata?.default?.['aws.dynamodb.table_names']).toEqual(names);
  });

  it('every call fact, consumed from metadata: account, region, request ID, queue URL, table', () => {
    const d = first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: {
      'aws.operation': 'SendMessage', 'aws.account_id': '210987654321', 'aws.region': 'eu-west-1', 'aws.requestId': 'r-1',
      'aws.queue.url': 'https://sqs.eu-west-1.amazonaws.com/210987654321/q', 'aws.table.name': 't', 'app.other': 1,
    } }));
    expect(d.aws).toEqual({ operation: 'SendMessage', account_id: '210987654321', region: 'eu-west-1', request_id: 'r-1', queue_url: 'https://sqs.eu-west-1.amazonaws.com/210987654321/q', table_name: 't' });
    expect(Object.keys(d.metadata!.default!)).toEqual(['app.other']);
  });

  it('messaging.url is the queue URL, preferred, and stays in metadata', () => {
    const d = first(span({ kind: SpanKind.PRODUCER, parentSpanId: SPAN_2, attributes: { 'aws.queue_url': 'old', 'messaging.url': 'https://sqs/q' } }));
    expect(d.aws?.queue_url).toBe('https://sqs/q');
    expect(d.metadata?.default?.['messaging.url']).toBe('https://sqs/q');
  });

  it('rpc.method of a non-AWS call is no operation and stays in metadata', () => {
    const d = first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'rpc.system': 'grpc', 'rpc.service': 'helloworld.Greeter', 'rpc.method': 'SayHello' } }));
    expect(d.aws).toBeUndefined();
    expect(d.metadata?.default?.['rpc.method']).toBe('SayHello');
  });

  it('AWS call facts survive a non-AWS cloud provider (upstream drops them)', () => {
    const d = first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'aws.operation': 'GetItem' } }), resource({ 'cloud.provider': 'gcp' }));
    expect(d.aws).toEqual({ operation: 'GetItem' });
  });

  it('consumed attributes are still annotated when listed in indexed_attributes, not by index_all_attributes (TestSpanWithSpecialAttributes*)', () => {
    const s = span({ attributes: { 'aws.operation': 'aws_operation_val', 'rpc.method': 'rpc_method_val', 'rpc.system': 'aws-api' } });
    expect(first(s, resource(), { indexedAttributes: new Set(['aws.operation', 'rpc.method']) }).annotations).toMatchObject({ aws_operation: 'aws_operation_val', rpc_method: 'rpc_method_val' });
    const all = first(s, resource(), { indexAllAttributes: true }).annotations!;
    expect(all.aws_operation).toBeUndefined();
    expect(all.rpc_method).toBeUndefined();
  });

  it('the resource part of the aws block is on segments only; subsegments carry the call facts', () => {
    const res = resource({ 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks', 'k8s.cluster.name': 'prod', 'telemetry.sdk.name': 'opentelemetry' });
    expect(first(span({ kind: SpanKind.SERVER }), res).aws).toMatchObject({ eks: { cluster_name: 'prod' }, xray: { sdk: 'opentelemetry' } });
    expect(first(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'aws.operation': 'Op' } }), res).aws).toEqual({ operation: 'Op' });
  });
});
