import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAgent, loadPolicies, PolicyError } from '../../src/index.js';
import { parseAgentPolicy } from '../../../host-agent/src/agent-config.js';
import { PathPatterns } from '../../../host-agent/src/path-pattern.js';

const W = { namespace: 'shop', name: 'orders', labels: { app: 'orders' } };

describe('workload sections: validation and compilation for the host agent', () => {
  it('compiles processes, files, ports, channels and traffic; each concern has its own mode', () => {
    const policies = loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: a, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  mode: monitor
  processes: {mode: protect, allow: [/usr/bin/nginx, /usr/bin/nginx]}
  files: {writers: [{paths: [/var/log/**], processes: [/usr/bin/nginx]}], secrets: [/opt/key]}
  ports: {allow: [{port: 8080}, {port: 53, protocol: udp, processes: [/usr/sbin/dnsmasq]}]}
  channels: {mode: protect, allow: [{channel: istiod}]}
  traffic: {inspection: passive, ports: [8080]}
---
apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: b, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: discover
  processes: {allow: [/bin/sh], enforcement: kill}
  traffic: {inspection: inline, ports: [9090]}
`);
    const { config, json, version } = compileAgent(policies, W);
    assert.equal(config.processes.mode, 'protect');
    assert.deepEqual(config.processes.allow, ['/usr/bin/nginx', '/bin/sh']);
    assert.equal(config.processes.enforcement, 'kill');
    assert.equal(config.files.mode, 'monitor');
    assert.deepEqual(config.ports.allow[1], { port: 53, protocol: 'udp', processes: ['/usr/sbin/dnsmasq'] });
    assert.equal(config.channels.mode, 'protect');
    assert.deepEqual(config.traffic, { inspection: 'inline', ports: [8080, 9090] });
    assert.match(version, /^sha256:[0-9a-f]{64}$/);
    // What the agent reads back is the same document.
    const parsed = parseAgentPolicy(json);
    assert.equal(parsed.doc.version, version);
    assert.ok(parsed.processAllow.matches('/bin/sh'));
    assert.ok(parsed.writers[0].paths.matches('/var/log/nginx/access.log'));
  });

  it('without a policy every concern is in the workload\'s mode (discover), inspection off', () => {
    const { config } = compileAgent([], W);
    assert.equal(config.processes.mode, 'discover');
    assert.equal(config.files.mode, 'discover');
    assert.equal(config.traffic.inspection, 'off');
  });

  it('reports each wrong field with its path', () => {
    try {
      loadPolicies(`apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: a, namespace: shop}
spec:
  selector: {workloads: [orders]}
  processes: {allow: [nginx, /usr/../bin/x], enforcement: stop}
  ports: {allow: [{port: 70000}]}
  channels: {allow: [{channel: kube-api}]}
  traffic: {inspection: sniff}
`, 'p.yaml');
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof PolicyError);
      const paths = err.issues.map((i) => `${i.path}:${i.rule}`);
      assert.deepEqual(paths, [
        'spec.processes.allow[0]:format',
        'spec.processes.allow[1]:format',
        'spec.processes.enforcement:enum',
        'spec.ports.allow[0].port:format',
        'spec.channels.allow[0].channel:enum',
        'spec.traffic.inspection:enum',
      ]);
    }
  });

  it('the agent refuses a compiled document with a wrong field, naming it', () => {
    const good = JSON.parse(compileAgent([], W).json) as Record<string, unknown>;
    assert.throws(() => parseAgentPolicy(JSON.stringify({ ...good, processes: { mode: 'relaxed', allow: [], enforcement: 'refuse' } })), /processes\.mode: must be discover, monitor or protect/);
  });

  it('path patterns: * within a segment, ** across', () => {
    const p = new PathPatterns(['/usr/bin/*', '/opt/**/bin/run', '/etc/x.conf']);
    assert.ok(p.matches('/usr/bin/nginx'));
    assert.ok(!p.matches('/usr/bin/sub/nginx'));
    assert.ok(p.matches('/opt/bin/run') && p.matches('/opt/a/b/bin/run'));
    assert.ok(p.matches('/etc/x.conf') && !p.matches('/etc/xyconf'));
  });
});
