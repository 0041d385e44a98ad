// What other rooms may use from policy/: loading and validating SecurityPolicies, their types,
// and the error they throw. Everything else in this folder is internal.
export { PolicyError, formatIssue, type IssueRule, type PolicyErrorCode, type PolicyIssue } from './errors.js';
export { policyKey, policyNamespace } from './key.js';
export {
  loadPolicies,
  loadPolicyFiles,
  parsePolicies,
  validatePolicyObject,
  type ParsedPolicy,
  type ParseResult,
} from './load.js';
export * from './types.js';
export { securityPolicyCrd, specSchema, SECTION_SCHEMAS, type OpenApiSchema } from './openapi.js';
