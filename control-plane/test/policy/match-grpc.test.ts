import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicies } from '../../src/index.js';
import { checkGrpcMethod, checkService } from '../../src/policy/match-grpc.js';
import { formatted, policyWith } from './helpers.js';

const withGrpc = (...grpc: string[]) => policyWith('  ingress:', '    - name: r', '      grpc:', ...grpc);

test('service and methods as written', () => {
  const [p] = loadPolicies(withGrpc(
    '        - {service: shop.v1.Orders, methods: ["*"]}',
    '        - {service: "*", methods: [GetOrder, list_orders]}',
    '        - {service: grpc.health.v1.Health}',
  ));
  assert.deepEqual(p.spec.ingress?.[0].grpc, [
    { service: 'shop.v1.Orders', methods: ['*'] },
    { service: '*', methods: ['GetOrder', 'list_orders'] },
    { service: 'grpc.health.v1.Health' },
  ]);
});

test('service is required and a dotted identifier or *', () => {
  assert.deepEqual(formatted(withGrpc('        - methods: [GetOrder]', '        - service: shop/Orders')), [
    'p.yaml:9:11: spec.ingress[0].grpc[0].service: required field is missing',
    'p.yaml:10:20: spec.ingress[0].grpc[1].service: "shop/Orders" is not a gRPC service: write the fully-qualified name ("shop.v1.Orders") or "*"',
  ]);
  for (const ok of ['*', 'Orders', 'shop.v1.Orders', '_x.y1']) assert.equal(checkService(ok), undefined, ok);
  for (const bad of ['', 'shop..Orders', '.shop', 'shop.', '1shop.Orders', 'shop.*', 'shop v1']) assert.ok(checkService(bad), bad);
});

test('methods are identifiers or *, never an empty list', () => {
  for (const ok of ['*', 'GetOrder', 'get_order']) assert.equal(checkGrpcMethod(ok), undefined, ok);
  for (const bad of ['', 'Get-Order', 'shop.Get', 'Get*', '/GetOrder']) assert.ok(checkGrpcMethod(bad), bad);
  assert.deepEqual(formatted(withGrpc('        - {service: a.B, methods: []}')), [
    'p.yaml:9:35: spec.ingress[0].grpc[0].methods: must not be empty: omit methods (or write ["*"]) to match any method',
  ]);
  assert.deepEqual(formatted(withGrpc('        - {service: a.B, methods: [Get-Order]}')), [
    'p.yaml:9:36: spec.ingress[0].grpc[0].methods[0]: "Get-Order" is not a gRPC method name (an identifier such as "GetOrder") or "*"',
  ]);
});

test('unknown grpc fields are refused', () => {
  assert.deepEqual(formatted(withGrpc('        - {service: a.B, method: Get}')), [
    'p.yaml:9:26: spec.ingress[0].grpc[0].method: unknown field "method" (did you mean "methods"?); allowed: service, methods',
  ]);
});
