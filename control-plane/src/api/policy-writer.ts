// Applying policy through the API. Validated first (errors name line, field and rule); then, in
// local mode, written into the policies folder (the folder source picks it up, and it survives
// restarts), in Kubernetes mode created or replaced as a SecurityPolicy custom resource.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { parsePolicies } from '../policy/load.js';
import { PolicyError } from '../policy/errors.js';
import { policyKey } from '../policy/key.js';
import type { SecurityPolicy } from '../policy/types.js';
import { ApiError } from './api-error.js';

export interface AppliedPolicy {
  namespace: string;
  name: string;
  /** Local mode: the file written. */
  file?: string;
  created: boolean;
}

export interface PolicyWriter {
  readonly kind: 'local' | 'kubernetes';
  apply(yaml: string): Promise<AppliedPolicy[]>;
  remove(namespace: string, name: string): Promise<boolean>;
}

/** Validates YAML text as the API receives it; PolicyError with every issue. */
export function validateForApply(yaml: string, origin = 'request.yaml'): Array<{ policy: SecurityPolicy; text: string }> {
  const parsed = parsePolicies(yaml, origin);
  if (parsed.issues.length > 0) throw new PolicyError(parsed.issues);
  if (parsed.policies.length === 0) throw new PolicyError([{ file: origin, line: 0, column: 0, path: '', rule: 'required', message: 'no SecurityPolicy in the body' }]);
  // One document keeps its text (comments included); several are written one per file.
  return parsed.policies.map((p) => ({ policy: p.policy, text: parsed.policies.length === 1 ? yaml : stringify(p.policy) }));
}

export class LocalPolicyWriter implements PolicyWriter {
  readonly kind = 'local' as const;

  constructor(private readonly folder: string) {}

  /** The first folder among the policy paths, or undefined (then apply is not available). */
  static forPaths(paths: readonly string[]): LocalPolicyWriter | undefined {
    const folder = paths.find((p) => existsSync(p) && statSync(p).isDirectory());
    return folder ? new LocalPolicyWriter(folder) : undefined;
  }

  async apply(yaml: string): Promise<AppliedPolicy[]> {
    const docs = validateForApply(yaml);
    const where = this.index();
    const out: AppliedPolicy[] = [];
    for (const { policy, text } of docs) {
      const key = policyKey(policy);
      const found = where.get(key);
      if (found && found.count > 1) throw new ApiError(409, 'CONFLICT', `${key} is defined in ${found.file} together with other policies; edit that file, or move it to a file of its own`);
      const file = found?.file ?? join(this.folder, `${policy.metadata.namespace ?? 'default'}.${policy.metadata.name}.yaml`);
      const tmp = join(this.folder, `.${Date.now()}.${process.pid}.tmp`);
      writeFileSync(tmp, text.endsWith('\n') ? text : text + '\n');
      renameSync(tmp, file); // atomic: the watcher never reads half a file
      out.push({ namespace: policy.metadata.namespace ?? 'default', name: policy.metadata.name, file, created: !found });
    }
    return out;
  }

  async remove(namespace: string, name: string): Promise<boolean> {
    const found = this.index().get(`${namespace}/${name}`);
    if (!found) return false;
    if (found.count > 1) throw new ApiError(409, 'CONFLICT', `${namespace}/${name} is defined in ${found.file} together with other policies; edit that file`);
    unlinkSync(found.file);
    return true;
  }

  /** policy key → the file defining it and how many policies that file holds. */
  private index(): Map<string, { file: string; count: number }> {
    const map = new Map<string, { file: string; count: number }>();
    for (const name of readdirSync(this.folder).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const file = join(this.folder, name);
      const { policies } = parsePolicies(readFileSync(file, 'utf8'), file);
      for (const p of policies) map.set(policyKey(p.policy), { file, count: policies.length });
    }
    return map;
  }
}

const GROUP = 'meshward.io';
const VERSION = 'v1alpha1';
const PLURAL = 'securitypolicies';

export class KubernetesPolicyWriter implements PolicyWriter {
  readonly kind = 'kubernetes' as const;
  private readonly api: k8s.CustomObjectsApi;

  constructor(kc?: k8s.KubeConfig) {
    const config = kc ?? (() => {
      const c = new k8s.KubeConfig();
      c.loadFromDefault();
      return c;
    })();
    this.api = config.makeApiClient(k8s.CustomObjectsApi);
  }

  async apply(yaml: string): Promise<AppliedPolicy[]> {
    const out: AppliedPolicy[] = [];
    for (const { policy } of validateForApply(yaml)) {
      const namespace = policy.metadata.namespace ?? 'default';
      const name = policy.metadata.name;
      const body = { ...policy, metadata: { ...policy.metadata, namespace } };
      let existing: { metadata?: { resourceVersion?: string } } | undefined;
      try {
        existing = (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as { metadata?: { resourceVersion?: string } };
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
      if (existing) {
        await this.api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
      } else {
        await this.api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body });
      }
      out.push({ namespace, name, created: !existing });
    }
    return out;
  }

  async remove(namespace: string, name: string): Promise<boolean> {
    try {
      await this.api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }
}
