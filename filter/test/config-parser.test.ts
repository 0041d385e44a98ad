// Configuration: accepted, rejected with the field path and the rule broken, last good kept.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { config, get, latin1, request, rule, startFilter } from './helpers.js';
import type { FilterConfig } from '../../control-plane/src/compile/filter-config.js';

type Mutation = (c: any) => void;

const rejected: Array<[string, Mutation | string, string]> = [
  ['a non-string path pattern', (c) => {
    c.ingress = [rule({ name: 'a' }), rule({ name: 'b' }), rule({ name: 'c', http: [{ methods: [], paths: ['/a', 7 as any], hosts: [] }] })];
  }, 'ingress[2].http[0].paths[1]: must be a string, found a number'],
  ['schema 2', (c) => { c.schema = 2; }, 'schema: must be 1'],
  ['schema as a string', (c) => { c.schema = '1'; }, 'schema: must be 1, found a string'],
  ['a missing version', (c) => { delete c.version; }, 'version: is required'],
  ['a missing events block', (c) => { delete c.events; }, 'events: is required'],
  ['a missing field of a rule', (c) => { c.ingress = [{ id: 'x', name: 'x', from: [], http: [] }]; }, 'ingress[0].grpc: is required'],
  ['an unknown mode', (c) => { c.mode = 'block'; }, 'mode: must be one of "discover", "monitor", "protect", found "block"'],
  ['a negative integer', (c) => { c.events.bufferLimit = -1; }, 'events.bufferLimit: must be a non-negative integer, found -1'],
  ['a fraction', (c) => { c.limits.maxBodyBytes = 1.5; }, 'limits.maxBodyBytes: must be a non-negative integer, found 1.5'],
  ['a huge integer', (c) => { c.limits.maxEventFieldBytes = 1e12; }, 'limits.maxEventFieldBytes: must be at most 2147483647'],
  ['a zero batch size', (c) => { c.events.batchSize = 0; }, 'events.batchSize: must be a positive integer, found 0'],
  ['an integer as a string', (c) => { c.events.timeoutMs = '5000'; }, 'events.timeoutMs: must be a non-negative integer, found a string'],
  ['an IPv4 prefix too long', (c) => { c.ingress = [rule({ name: 'r', from: [{ ipBlock: '10.0.0.0/33' }] })]; }, 'ingress[0].from[0].ipBlock: must be an IPv4 or IPv6 CIDR'],
  ['an IPv4 octet too big', (c) => { c.ingress = [rule({ name: 'r', from: [{ ipBlock: '10.0.0.256/8' }] })]; }, 'ingress[0].from[0].ipBlock'],
  ['an IPv6 prefix too long', (c) => { c.ingress = [rule({ name: 'r', from: [{}, { ipBlock: 'fd00::/129' }] })]; }, 'ingress[0].from[1].ipBlock: must be an IPv4 or IPv6 CIDR'],
  ['two :: in IPv6', (c) => { c.ingress = [rule({ name: 'r', from: [{ ipBlock: 'fd00::1::2/64' }] })]; }, 'ingress[0].from[0].ipBlock'],
  ['an IP with a zone', (c) => { c.ingress = [rule({ name: 'r', from: [{ ipBlock: 'fe80::1%eth0/64' }] })]; }, 'ingress[0].from[0].ipBlock'],
  ['a CIDR that is not a string', (c) => { c.ingress = [rule({ name: 'r', from: [{ ipBlock: 10 }] } as any)]; }, 'ingress[0].from[0].ipBlock: must be a non-empty string, found a number'],
  ['an empty principal', (c) => { c.ingress = [rule({ name: 'r', from: [{ principal: '' }] })]; }, 'ingress[0].from[0].principal: must be a non-empty string'],
  ['a lower-case method', (c) => { c.ingress = [rule({ name: 'r', http: [{ methods: ['get'], paths: [], hosts: [] }] })]; }, 'ingress[0].http[0].methods[0]: must be an upper-case HTTP method'],
  ['a relative path pattern', (c) => { c.ingress = [rule({ name: 'r', http: [{ methods: [], paths: ['api/*'], hosts: [] }] })]; }, "ingress[0].http[0].paths[0]: must be a path pattern starting with '/'"],
  ['a wildcard inside a host', (c) => { c.ingress = [rule({ name: 'r', http: [{ methods: [], paths: [], hosts: ['a*.shop'] }] })]; }, 'ingress[0].http[0].hosts[0]: must be a host name, *.<domain> or *'],
  ['an empty gRPC service', (c) => { c.ingress = [rule({ name: 'r', grpc: [{ service: '', methods: [] }] })]; }, 'ingress[0].grpc[0].service: must be a non-empty string'],
  ['ingress as an object', (c) => { c.ingress = {}; }, 'ingress: must be an array, found an object'],
  ['a rule as a string', (c) => { c.ingress = ['allow-all']; }, 'ingress[0]: must be an object, found a string'],
  ['an events path without slash', (c) => { c.events.path = 'v1/events'; }, "events.path: must start with '/'"],
  ['a token with a line break', (c) => { c.events.token = 'abc\r\nx-injected: 1'; }, 'events.token: must not contain control characters'],
  ['a policy that is not a string', (c) => { c.policies = ['a/b', null]; }, 'policies[1]: must be a string, found null'],
  ['a duplicate field', '{"schema":1,"schema":1}', 'schema: duplicate field'],
  ['truncated JSON', '{"schema":1,"version":"sha', 'version: invalid JSON: unterminated string'],
  ['a bad escape', '{"schema":1,"version":"\\q"}', 'version: invalid JSON: invalid escape'],
  ['an array document', '[]', 'the configuration must be a JSON object, found an array'],
  ['an empty document', '', 'the configuration is empty'],
  ['trailing data', `${JSON.stringify(config())} {}`, 'invalid JSON: unexpected data after the document'],
  ['a waf without its action', (c) => { c.waf = { paranoia: 1, threshold: 5, exclusions: [] }; }, 'waf.action: is required'],
  ['an unknown waf action', (c) => { c.waf = { action: 'drop', paranoia: 1, threshold: 5, exclusions: [] }; }, 'waf.action: must be one of "block", "alert", "off", found "drop"'],
  ['paranoia 5', (c) => { c.waf = { action: 'block', paranoia: 5, threshold: 5, exclusions: [] }; }, 'waf.paranoia: must be 1, 2, 3 or 4, found 5'],
  ['threshold 0', (c) => { c.waf = { action: 'block', paranoia: 1, threshold: 0, exclusions: [] }; }, 'waf.threshold: must be a positive integer, found 0'],
  ['an unknown attack class', (c) => { c.waf = { action: 'block', paranoia: 1, threshold: 5, exclusions: [{ paths: [], params: [], classes: ['sql'] }] }; }, 'waf.exclusions[0].classes[0]: is not an attack class, found "sql"'],
  ['an exclusion path without slash', (c) => { c.waf = { action: 'block', paranoia: 1, threshold: 5, exclusions: [{ paths: ['cms'], params: [], classes: [] }] }; }, "waf.exclusions[0].paths[0]: must be a path pattern starting with '/'"],
  ['an unknown sensor', (c) => { c.dlp = { action: 'alert', sensors: ['visa'], custom: [], requests: false }; }, 'dlp.sensors[0]: is not a sensor, found "visa"'],
  ['a custom pattern with a group', (c) => { c.dlp = { action: 'alert', sensors: [], custom: [{ name: 'x', pattern: '(a|b)', contexts: ['body'] }], requests: false }; }, 'dlp.custom[0].pattern: invalid pattern: groups are not supported'],
  ['an unknown sensor context', (c) => { c.dlp = { action: 'alert', sensors: [], custom: [{ name: 'x', pattern: 'a', contexts: ['cookie'] }], requests: false }; }, 'dlp.custom[0].contexts[0]: must be one of "url", "header", "body", found "cookie"'],
  ['dlp.requests as a string', (c) => { c.dlp = { action: 'alert', sensors: [], custom: [], requests: 'yes' }; }, 'dlp.requests: must be true or false, found a string'],
  ['deep nesting in an unknown field', `{"x":${'['.repeat(100)}${']'.repeat(100)}}`, 'invalid JSON: nesting deeper than 64'],
];

describe('configuration', () => {
  it('accepts a complete document, counts it and logs what it applied', async () => {
    const f = await startFilter(config({ mode: 'monitor', ingress: [rule({ name: 'a' }), rule({ name: 'b' })] }));
    try {
      // At least once: a host may also run each new configuration on a canary VM first (Envoy does).
      assert.ok(f.metric('meshward.config_applied') >= 1);
      assert.equal(f.metric('meshward.config_rejected'), 0);
      assert.ok(f.logs.some((l) => l.level === 'info' && l.message.includes('configuration applied: version sha256:0123, mode monitor, 2 ingress rules')));
    } finally {
      await f.close();
    }
  });

  for (const [what, mutation, message] of rejected) {
    it(`rejects ${what} with the field path and reason`, async () => {
      const f = await startFilter(config());
      try {
        const applied = f.metric('meshward.config_applied');
        let doc: string;
        if (typeof mutation === 'string') {
          doc = mutation;
        } else {
          const c = structuredClone(config()) as any;
          mutation(c);
          doc = JSON.stringify(c);
        }
        const r = f.plugin.reconfigure(doc);
        assert.equal(r.ok, false);
        const line = f.logs.find((l) => l.message.includes('configuration rejected'));
        assert.ok(line, `no rejection logged; logs: ${JSON.stringify(f.logs)}`);
        assert.ok(line.message.includes(message), `expected "${message}" in "${line.message}"`);
        assert.equal(line.level, 'warn');
        assert.ok(f.metric('meshward.config_rejected') >= 1);
        assert.equal(f.metric('meshward.config_applied'), applied);
        assert.equal(f.vm.failed, false);
      } finally {
        await f.close();
      }
    });
  }

  it('refuses to start with an invalid first document', async () => {
    await assert.rejects(startFilter('{"schema":1}'), /version: is required/);
  });

  it('keeps enforcing the last good configuration after a rejected update', async () => {
    const strict = config({ ingress: [rule({ name: 'home', http: [{ methods: ['GET'], paths: ['/home'], hosts: [] }] })] });
    const f = await startFilter(strict);
    try {
      const applied = f.metric('meshward.config_applied');
      assert.equal(request(f, get('/admin')).status, 403);
      // An update that would allow everything, but is invalid as a whole (one bad field).
      const permissive: any = config({ mode: 'monitor', ingress: [rule({ name: 'all' })] });
      permissive.limits.maxBodyBytes = 'lots';
      assert.equal(f.plugin.reconfigure(JSON.stringify(permissive)).ok, false);
      const blocked = request(f, get('/admin'));
      assert.equal(blocked.status, 403, 'the old rules still apply');
      assert.equal(blocked.forwarded, false);
      assert.equal(request(f, get('/home')).forwarded, true);
      // A valid update applies to new streams.
      assert.equal(f.plugin.reconfigure(JSON.stringify(config({ mode: 'monitor' }))).ok, true);
      assert.equal(request(f, get('/admin')).forwarded, true);
      assert.ok(f.metric('meshward.config_applied') > applied);
      assert.ok(f.metric('meshward.config_rejected') >= 1);
    } finally {
      await f.close();
    }
  });

  it('lets a stream that started before an update finish under the configuration it started with', async () => {
    const f = await startFilter(config());
    try {
      let forwarded = false;
      let status: string | undefined;
      const stream = f.plugin.createHttpStream(
        { connection: { id: 9, sourceAddress: '10.0.0.9', sourcePort: 1, destinationAddress: '10.0.0.3', destinationPort: 8080 }, protocol: 'HTTP/1.1' },
        {
          requestHeaders: () => { forwarded = true; },
          requestData: () => {}, requestTrailers: () => {},
          responseHeaders: (h) => { status = h.find(([n]) => n === ':status')?.[1]; },
          responseData: () => {}, responseTrailers: () => {}, reset: () => {},
        },
      );
      assert.equal(f.plugin.reconfigure(JSON.stringify(config({ mode: 'monitor' }))).ok, true);
      stream.decodeHeaders(get('/x'), true);
      stream.complete();
      assert.equal(forwarded, false);
      assert.equal(status, '403');
      assert.equal(request(f, get('/x')).forwarded, true);
    } finally {
      await f.close();
    }
  });

  it('ignores unknown fields and names them in a debug line', async () => {
    const c: any = config({ ingress: [rule({ name: 'r' })] });
    c.futureTopLevel = { nested: [1, { deep: true }] };
    c.ingress[0].rateLimit = 10;
    c.events.compression = 'zstd';
    const f = await startFilter(JSON.stringify(c), { logLevel: 'debug' });
    try {
      const debug = f.logs.filter((l) => l.level === 'debug').map((l) => l.message).join('\n');
      assert.match(debug, /ignoring unknown field futureTopLevel/);
      assert.match(debug, /ignoring unknown field ingress\[0\]\.rateLimit/);
      assert.match(debug, /ignoring unknown field events\.compression/);
      assert.equal(request(f, get('/anything')).forwarded, true);
    } finally {
      await f.close();
    }
  });

  it('decodes escapes in strings (\\u, surrogate pairs) before matching', async () => {
    const doc = JSON.stringify(config({
      ingress: [rule({ name: 'r', http: [{ methods: [], paths: ['/caf\u00e9/\u{1F600}'], hosts: [] }] })],
    })).replace('caf\u00e9', 'caf\\u00e9').replace('\u{1F600}', '\\ud83d\\ude00');
    assert.ok(doc.includes('\\ud83d'));
    const f = await startFilter(doc);
    try {
      assert.equal(request(f, get(latin1('/caf\u00e9/\u{1F600}'))).forwarded, true);
      assert.equal(request(f, get('/cafe/x')).forwarded, false);
    } finally {
      await f.close();
    }
  });

  it('accepts every field at its documented limits', async () => {
    const c: FilterConfig = config({
      ingress: [rule({
        name: 'limits',
        from: [{ ipBlock: '0.0.0.0/0' }, { ipBlock: '::/0' }, { ipBlock: '10.1.2.3' }, { ipBlock: '::ffff:10.0.0.0/104' }, { ipBlock: '2001:db8::/32' }],
        http: [{ methods: ['GET', 'M-SEARCH'], paths: ['/', '/**', '/*/x'], hosts: ['*', '*.shop', 'Orders.Shop:8080'] }],
        grpc: [{ service: '*', methods: ['*'] }],
      })],
    });
    c.events.bufferLimit = 0;
    c.limits.maxBodyBytes = 2147483647;
    const f = await startFilter(c);
    await f.close();
  });
});
