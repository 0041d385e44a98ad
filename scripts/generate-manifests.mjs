#!/usr/bin/env node
// Regenerates the manifests that are derived from code (after `npm run build`): the
// SecurityPolicy CRD (manifests/crds/ and the Helm chart's crds/) and the mesh-wide EnvoyFilter.
// Tests fail when a committed copy differs from what the code generates.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const meshward = (...args) => execFileSync(process.execPath, [join(root, 'bin/meshward.js'), ...args], { encoding: 'utf8' });
const crd = meshward('policy', 'crd');
for (const p of ['manifests/crds/securitypolicies.meshward.io.yaml', 'manifests/helm/meshward/crds/securitypolicies.meshward.io.yaml']) {
  writeFileSync(join(root, p), crd);
}
writeFileSync(join(root, 'manifests/istio/meshward-envoyfilter.yaml'), meshward('istio', 'render', 'envoyfilter'));
console.log('manifests regenerated');
