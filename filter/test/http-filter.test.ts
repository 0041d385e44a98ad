// The three modes, end to end through the compiled filter: what the client gets, what reaches
// the upstream, which events are emitted and how the counters move.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FRONTEND, call, config, get, grpc, header, request, rule, startFilter, type Json } from './helpers.js';

const reads = rule({ name: 'frontend-reads', from: [{ workload: 'frontend' }], http: [{ methods: ['GET'], paths: ['/api/orders/**'], hosts: [] }] });

describe('protect mode', () => {
  it('answers a request no rule allows with 403 and a JSON body naming the event', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: [reads] }));
    try {
      const o = request(f, call('DELETE', '/api/orders/1'));
      assert.equal(o.forwarded, false);
      assert.equal(o.status, 403);
      assert.equal(header(o.responseHeaders, 'content-type'), 'application/json');
      const body = JSON.parse(o.responseBody) as { error: string; event: string };
      assert.equal(body.error, 'blocked');
      assert.match(body.event, /^evt-[0-9a-f]+-[0-9a-f]{16}-[0-9a-f]+$/);
      const [event] = f.loggedEvents();
      assert.equal(event.id, body.event);
      assert.equal(event.kind, 'http.policy');
      assert.equal(event.severity, 'medium');
      assert.equal(event.action, 'block');
      assert.equal(event.mode, 'protect');
      assert.equal(event.rule, null);
      assert.deepEqual(event.evidence, { reason: 'no ingress rule matched' });
      assert.equal(f.loggedEvents().length, 1);
    } finally {
      await f.close();
    }
  });

  it('lets an allowed request through untouched, without an event', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: [reads] }));
    try {
      const o = request(f, get('/api/orders/1'));
      assert.equal(o.forwarded, true);
      assert.equal(o.status, 200);
      assert.equal(o.responseBody, 'ok');
      assert.equal(f.loggedEvents().length, 0);
    } finally {
      await f.close();
    }
  });

  it('answers a gRPC request with grpc-status 7 (PERMISSION_DENIED)', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: [reads] }));
    try {
      const o = request(f, grpc('/shop.v1.Orders/Delete'));
      assert.equal(o.forwarded, false);
      const status = header(o.responseHeaders, 'grpc-status') ?? header(o.responseTrailers, 'grpc-status');
      assert.equal(status, '7');
      const [event] = f.loggedEvents();
      assert.equal(event.protocol, 'grpc');
      assert.deepEqual(event.grpc, { service: 'shop.v1.Orders', method: 'Delete' });
      const message = header(o.responseHeaders, 'grpc-message') ?? header(o.responseTrailers, 'grpc-message') ?? '';
      assert.ok(decodeURIComponent(message).includes(event.id as string), 'the event id travels in grpc-message');
    } finally {
      await f.close();
    }
  });

  it('does not pass the body of a blocked request upstream', async () => {
    const f = await startFilter(config({ mode: 'protect' }));
    try {
      const o = request(f, call('POST', '/upload'), FRONTEND, [new TextEncoder().encode('secret')]);
      assert.equal(o.forwarded, false);
      assert.equal(o.requestData.length, 0);
    } finally {
      await f.close();
    }
  });
});

describe('monitor mode', () => {
  it('lets a violation through and reports it', async () => {
    const f = await startFilter(config({ mode: 'monitor', ingress: [reads] }));
    try {
      const o = request(f, call('DELETE', '/api/orders/1'));
      assert.equal(o.forwarded, true);
      assert.equal(o.status, 200);
      const events = f.loggedEvents();
      assert.equal(events.length, 1);
      assert.equal(events[0].kind, 'http.policy');
      assert.equal(events[0].action, 'alert');
      assert.equal(events[0].severity, 'medium');
      assert.equal(events[0].mode, 'monitor');
      // Allowed requests are not reported.
      request(f, get('/api/orders/2'));
      assert.equal(f.loggedEvents().length, 1);
    } finally {
      await f.close();
    }
  });
});

describe('discover mode', () => {
  it('lets everything through and reports every request as a flow, with the rule it matched', async () => {
    const f = await startFilter(config({ mode: 'discover', ingress: [reads] }));
    try {
      assert.equal(request(f, get('/api/orders/1')).forwarded, true);
      assert.equal(request(f, call('DELETE', '/api/orders/1')).forwarded, true);
      const [matched, unmatched] = f.loggedEvents();
      for (const e of [matched, unmatched]) {
        assert.equal(e.kind, 'http.flow');
        assert.equal(e.severity, 'info');
        assert.equal(e.action, 'allow');
        assert.equal(e.mode, 'discover');
      }
      assert.deepEqual(matched.rule, { id: 'shop/orders/frontend-reads', name: 'frontend-reads' });
      assert.equal(unmatched.rule, null);
      assert.equal((matched.evidence as Json).reason, 'ingress rule matched');
      assert.equal((unmatched.evidence as Json).reason, 'no ingress rule matched');
      assert.equal(f.metric('meshward.violations'), 0, 'discover mode has no violations');
    } finally {
      await f.close();
    }
  });
});

describe('streaming', () => {
  it('passes request and response bodies chunk by chunk without holding them', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: [rule({ name: 'all' })] }));
    try {
      const chunks = [1, 2, 3].map((i) => new Uint8Array(70_000).fill(i));
      const o = request(f, call('POST', '/upload'), FRONTEND, chunks);
      assert.equal(o.forwarded, true);
      assert.equal(o.requestData.length, 3);
      assert.deepEqual(o.requestData.map((c) => c[0]), [1, 2, 3]);
    } finally {
      await f.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests, allowed, violations and blocked', async () => {
    const f = await startFilter(config({ mode: 'protect', ingress: [reads] }));
    try {
      request(f, get('/api/orders/1'));
      request(f, get('/api/orders/2'));
      request(f, call('DELETE', '/api/orders/1'));
      assert.equal(f.metric('meshward.requests'), 3);
      assert.equal(f.metric('meshward.allowed'), 2);
      assert.equal(f.metric('meshward.violations'), 1);
      assert.equal(f.metric('meshward.blocked'), 1);
      assert.equal(f.metric('meshward.events_emitted'), 1);
      assert.equal(f.metric('meshward.events_sent'), 1, 'written to the log');
      assert.equal(f.metric('meshward.events_dropped'), 0);
      assert.equal(f.metric('meshward.events_buffered'), 0);
    } finally {
      await f.close();
    }
  });

  it('defines every metric at start', async () => {
    const f = await startFilter(config());
    try {
      const m = f.plugin.metrics();
      for (const name of ['requests', 'allowed', 'violations', 'blocked', 'events_emitted', 'events_sent', 'events_dropped',
        'event_batches_failed', 'config_rejected', 'config_applied', 'fields_truncated']) {
        assert.equal(m.get(`meshward.${name}`)?.type, 'counter', name);
      }
      assert.equal(m.get('meshward.events_buffered')?.type, 'gauge');
    } finally {
      await f.close();
    }
  });

  it('counts monitor-mode violations as allowed', async () => {
    const f = await startFilter(config({ mode: 'monitor' }));
    try {
      request(f, get('/a'));
      assert.equal(f.metric('meshward.violations'), 1);
      assert.equal(f.metric('meshward.allowed'), 1);
      assert.equal(f.metric('meshward.blocked'), 0);
    } finally {
      await f.close();
    }
  });
});
