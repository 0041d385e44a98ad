// A `grpc` entry: which gRPC calls. Shared by every section that matches gRPC.
import { expectString, fieldsOf, stringList, type Checker } from './check.js';
import type { GrpcMatchSpec } from './types.js';
import type { TreeNode } from './tree.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function readGrpcMatch(node: TreeNode, path: string, c: Checker): GrpcMatchSpec | undefined {
  const f = fieldsOf(node, path, c, ['service', 'methods']);
  if (!f) return undefined;
  const before = c.issues.length;
  const serviceNode = f.required('service');
  const service = serviceNode && expectString(serviceNode, f.pathOf('service'), c);
  if (service !== undefined) {
    const problem = checkService(service);
    if (problem) c.report(serviceNode!.pos, f.pathOf('service'), 'format', problem);
  }
  const match: GrpcMatchSpec = { service: service ?? '' };
  const methodsNode = f.optional('methods');
  if (methodsNode) {
    match.methods = stringList(methodsNode, f.pathOf('methods'), c, 'format', checkGrpcMethod,
      { emptyHint: ': omit methods (or write ["*"]) to match any method' });
  }
  return c.issues.length === before ? match : undefined;
}

/** `*`, or a fully-qualified protobuf service name: dot-separated identifiers. */
export function checkService(value: string): string | undefined {
  if (value === '*' || value.split('.').every((part) => IDENT.test(part))) return undefined;
  return `${JSON.stringify(value)} is not a gRPC service: write the fully-qualified name ("shop.v1.Orders") or "*"`;
}

export function checkGrpcMethod(value: string): string | undefined {
  if (value === '*' || IDENT.test(value)) return undefined;
  return `${JSON.stringify(value)} is not a gRPC method name (an identifier such as "GetOrder") or "*"`;
}
