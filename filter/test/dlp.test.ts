// Data loss prevention through the compiled filter: each built-in sensor, masking, custom
// sensors by context, and what protect mode does with a leak: the body replaced while nothing
// went downstream, the stream closed once data was released, nothing touched in monitor mode.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { DlpConfig } from '../../control-plane/src/compile/filter-config.js';
import type { HeaderList } from '../../host-agent/src/wasm-host/api.js';
import { FRONTEND, config, get, startFilter, streamInfo, type Filter, type Json } from './helpers.js';

const ALL = [{ id: 'shop/orders/any', name: 'any', from: [], http: [], grpc: [] }];
const DLP: DlpConfig = {
  action: 'block',
  sensors: ['credit-card', 'ssn', 'iban', 'aws-access-key', 'private-key', 'jwt', 'github-token', 'slack-token', 'stack-trace', 'sql-error'],
  custom: [],
  requests: false,
};

function withDlp(dlp: Partial<DlpConfig> = {}, mode: 'monitor' | 'protect' = 'protect', maxBodyBytes = 65536) {
  return startFilter(config({ mode, ingress: ALL, dlp: { ...DLP, ...dlp }, limits: { maxBodyBytes, maxEventFieldBytes: 1024 } }));
}

interface Response {
  headers: HeaderList;
  body: string;
  resets: string[];
}

function respond(f: Filter, chunks: string[], contentType = 'application/json', path = '/api/x'): Response {
  const out: Response = { headers: [], body: '', resets: [] };
  const parts: Buffer[] = [];
  const s = f.plugin.createHttpStream(streamInfo(FRONTEND), {
    requestHeaders() {}, requestData() {}, requestTrailers() {},
    responseHeaders: (h) => { out.headers = h; }, responseData: (d) => { parts.push(Buffer.from(d)); }, responseTrailers() {},
    reset: (r) => { out.resets.push(r); },
  });
  s.decodeHeaders(get(path), true);
  const total = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  s.encodeHeaders([[':status', '200'], ['content-type', contentType], ['content-length', String(total)]], false);
  chunks.forEach((c, i) => s.encodeData(Buffer.from(c), i === chunks.length - 1));
  s.complete();
  out.body = Buffer.concat(parts).toString();
  return out;
}

const leaks = (f: Filter): Json[] => f.loggedEvents().filter((e) => e.kind === 'dlp.leak');

describe('dlp: sensors', () => {
  const found: Array<[string, string]> = [
    ['credit-card', '{"card":"4111 1111 1111 1111"}'],
    ['credit-card', 'visa 4012888888881881 on file'],
    ['ssn', 'ssn: 536-22-8421'],
    ['iban', 'pay to GB82 WEST 1234 5698 7654 32 today'],
    ['aws-access-key', 'key=AKIAIOSFODNN7EXAMPLE'],
    ['private-key', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...'],
    ['jwt', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.abcdefghijkl'],
    ['github-token', 'ghp_0123456789abcdefghijklmnopqrstuvwxyz'],
    ['slack-token', 'xoxb-123456789012-abcdefghijklmnop'],
    ['stack-trace', 'Traceback (most recent call last):\n  File "app.py", line 3'],
    ['sql-error', 'You have an error in your SQL syntax; check the manual'],
  ];
  for (const [sensor, text] of found) {
    it(`${sensor}: found, masked, body replaced`, async () => {
      const f = await withDlp();
      try {
        const r = respond(f, [text]);
        const [e] = leaks(f);
        assert.equal((e.evidence as Json).sensor, sensor);
        assert.equal((e.evidence as Json).location, 'response.body');
        assert.equal(e.action, 'block');
        assert.deepEqual(JSON.parse(r.body), { error: 'blocked', event: e.id });
        if (sensor !== 'stack-trace' && sensor !== 'sql-error' && sensor !== 'private-key') {
          const match = (e.evidence as Json).match as string;
          assert.match(match, /\*/);
          assert.ok(!text.includes(match), 'the secret itself is not in the event');
        }
        assert.equal(r.headers.find(([n]) => n === 'content-length'), undefined, 'content-length dropped so the body can change');
      } finally {
        await f.close();
      }
    });
  }

  it('numbers that only look like secrets pass: failed Luhn, invalid SSN areas, bad IBAN check', async () => {
    const f = await withDlp();
    try {
      for (const text of ['order 4111 1111 1111 1112', 'ssn 000-12-3456 and 666-12-3456 and 912-34-5678', 'GB82 WEST 1234 5698 7654 33',
        'phone 555-123-4567', 'id 1234567890123456', 'AKIA123']) {
        const r = respond(f, [text]);
        assert.equal(r.body, text);
      }
      assert.equal(leaks(f).length, 0);
    } finally {
      await f.close();
    }
  });
});

describe('dlp: actions', () => {
  it('monitor mode reports and passes the data untouched', async () => {
    const f = await withDlp({}, 'monitor');
    try {
      const r = respond(f, ['{"card":"4111111111111111"}']);
      assert.equal(r.body, '{"card":"4111111111111111"}');
      assert.equal(leaks(f)[0].action, 'alert');
    } finally {
      await f.close();
    }
  });

  it('a leak in a later chunk still replaces the whole held body', async () => {
    const f = await withDlp();
    try {
      const r = respond(f, ['{"items":[', '{"n":1},', '{"card":"5555555555554444"}]}']);
      assert.equal(JSON.parse(r.body).error, 'blocked');
      assert.equal(f.metric('meshward.dlp_blocked'), 1);
    } finally {
      await f.close();
    }
  });

  it('a leak past the hold window closes the stream instead of passing the data', async () => {
    const f = await withDlp({}, 'protect', 1 << 20);
    try {
      const r = respond(f, ['a'.repeat(300 * 1024), 'card 4111111111111111']);
      assert.equal(r.resets.length, 1);
      assert.ok(!r.body.includes('4111111111111111'));
      assert.equal(f.metric('meshward.dlp_streams_closed'), 1);
    } finally {
      await f.close();
    }
  });

  it('the response window: past limits.maxBodyBytes it is not scanned (response_body_truncated)', async () => {
    const f = await withDlp({}, 'protect', 4096);
    try {
      const r = respond(f, ['a'.repeat(5000), 'card 4111111111111111']);
      assert.ok(r.body.endsWith('4111111111111111'));
      assert.equal(f.metric('meshward.response_body_truncated'), 1);
    } finally {
      await f.close();
    }
  });

  it('binary and compressed responses are not scanned', async () => {
    const f = await withDlp();
    try {
      const r = respond(f, ['4111111111111111'], 'image/png');
      assert.equal(r.body, '4111111111111111');
      assert.equal(leaks(f).length, 0);
    } finally {
      await f.close();
    }
  });
});

describe('dlp: custom sensors', () => {
  it('match by pattern in the contexts they name', async () => {
    const f = await withDlp({
      sensors: [],
      custom: [
        { name: 'employee-id', pattern: 'EMP-[0-9]{6}', contexts: ['body'] },
        { name: 'internal-host', pattern: '(?i)corp\\.internal', contexts: ['url', 'header'] },
      ],
    });
    try {
      const r = respond(f, ['owner EMP-123456']);
      assert.equal(JSON.parse(r.body).error, 'blocked');
      const [e] = leaks(f);
      assert.deepEqual(e.rule, { id: 'dlp/custom', name: 'employee-id' });
      assert.equal((e.evidence as Json).match, 'EM******56');
      // a URL sensor on the request blocks it in protect mode
      const url = respond(f, ['fine'], 'application/json', '/fetch?host=db.CORP.internal');
      assert.equal(JSON.parse(url.body).error, 'blocked');
      assert.equal((leaks(f)[1].evidence as Json).location, 'url');
      assert.equal(respond(f, ['EMP-12345 is short']).body, 'EMP-12345 is short');
    } finally {
      await f.close();
    }
  });
});

describe('dlp: requests leaving the workload', () => {
  it('dlp.requests scans request bodies and blocks a leak in protect mode', async () => {
    const f = await withDlp({ requests: true });
    try {
      const data: string[] = [];
      let status: string | undefined;
      const s = f.plugin.createHttpStream(streamInfo(FRONTEND), {
        requestHeaders() {}, requestData: (d) => data.push(Buffer.from(d).toString()), requestTrailers() {},
        responseHeaders: (h) => { status = h.find(([n]) => n === ':status')?.[1]; }, responseData() {}, responseTrailers() {}, reset() {},
      });
      s.decodeHeaders([[':method', 'POST'], [':path', '/export'], [':authority', 'partner.example'], [':scheme', 'https'], ['content-type', 'text/csv']], false);
      s.decodeData(Buffer.from('name,card\nann,4111111111111111\n'), true);
      s.complete();
      assert.equal(status, '403');
      assert.equal(data.length, 0);
      assert.equal((leaks(f)[0].evidence as Json).location, 'request.body');
    } finally {
      await f.close();
    }
  });
});
