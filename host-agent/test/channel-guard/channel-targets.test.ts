// The guard's targets and what it reads from the kernel's bytes: `--channel` values (IPv4,
// IPv6, default ports, unix paths), KUBERNETES_SERVICE_HOST as IPv6, queued SYNs of both
// families (through IPv6 extension headers), and mount tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalAddress, defaultChannels, parseChannelSpec } from '../../src/channel-guard/channel-targets.js';
import { deviceName, parseMountinfo } from '../../src/channel-guard/socket-exposure.js';
import { parseSyn } from '../../src/channel-guard/syn-packet.js';

describe('channel targets', () => {
  it('parses IPv4, bracketed and bare IPv6, default ports and unix sockets', () => {
    assert.deepEqual(parseChannelSpec('kubernetes-api=10.96.0.1:443'), { kind: 'tcp', target: { name: 'kubernetes-api', address: '10.96.0.1', ports: [443] } });
    assert.deepEqual(parseChannelSpec('kubernetes-api=[FD00:0:0::0001]:6443'), { kind: 'tcp', target: { name: 'kubernetes-api', address: 'fd00::1', ports: [6443] } });
    assert.deepEqual(parseChannelSpec('linkerd-destination=fd00::10'), { kind: 'tcp', target: { name: 'linkerd-destination', address: 'fd00::10', ports: [8086] } });
    assert.deepEqual(parseChannelSpec('linkerd-identity=10.0.0.9'), { kind: 'tcp', target: { name: 'linkerd-identity', address: '10.0.0.9', ports: [8080] } });
    assert.deepEqual(parseChannelSpec('istiod=[fd00::2]'), { kind: 'tcp', target: { name: 'istiod', address: 'fd00::2', ports: [15010, 15012, 15017] } });
    assert.deepEqual(parseChannelSpec('container-runtime=unix:/run/k3s/containerd/containerd.sock'), {
      kind: 'unix',
      target: { name: 'container-runtime', path: '/run/k3s/containerd/containerd.sock' },
    });
  });

  it('refuses what it cannot guard, saying why', () => {
    assert.throws(() => parseChannelSpec('my-api=10.0.0.1'), /no default port/);
    assert.throws(() => parseChannelSpec('api=10.0.0.300:443'), /not an IPv4 or IPv6 address/);
    assert.throws(() => parseChannelSpec('api=[fd00::1]:70000'), /port must be 1-65535/);
    assert.throws(() => parseChannelSpec('API=10.0.0.1:443'), /NAME in lower case/);
    assert.throws(() => parseChannelSpec('container-runtime=unix:run/x.sock'), /absolute path/);
  });

  it('takes the Kubernetes API from KUBERNETES_SERVICE_HOST, IPv4 or IPv6', () => {
    const v6 = defaultChannels({ KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' }).find((c) => c.name === 'kubernetes-api');
    assert.deepEqual(v6, { name: 'kubernetes-api', address: 'fd00:10:96::1', ports: [443] });
    const v4 = defaultChannels({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).find((c) => c.name === 'kubernetes-api');
    assert.deepEqual(v4, { name: 'kubernetes-api', address: '10.96.0.1', ports: [443] });
    assert.equal(defaultChannels({ KUBERNETES_SERVICE_HOST: 'kubernetes.default' }).find((c) => c.name === 'kubernetes-api'), undefined);
  });

  it('writes IPv6 addresses one way', () => {
    assert.equal(canonicalAddress('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalAddress('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.throws(() => canonicalAddress('host'), /not an IP address/);
  });
});

function ipv6Syn(extensions: Buffer[], firstNext: number): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h[6] = firstNext;
  Buffer.from('fd000000000000000000000000000001', 'hex').copy(h, 8);
  Buffer.from('fd000000000000000000000000000010', 'hex').copy(h, 24);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(6443, 2);
  return Buffer.concat([h, ...extensions, tcp]);
}

describe('queued SYNs', () => {
  it('reads IPv4', () => {
    const b = Buffer.alloc(40);
    b[0] = 0x45;
    b[9] = 6;
    Buffer.from([10, 1, 2, 3, 10, 96, 0, 1]).copy(b, 12);
    b.writeUInt16BE(51000, 20);
    b.writeUInt16BE(443, 22);
    assert.deepEqual(parseSyn(b), { family: 4, src: '10.1.2.3', dst: '10.96.0.1', sport: 51000, dport: 443 });
  });

  it('reads IPv6, also behind hop-by-hop and destination options', () => {
    const expected = { family: 6, src: 'fd00::1', dst: 'fd00::10', sport: 40000, dport: 6443 };
    assert.deepEqual(parseSyn(ipv6Syn([], 6)), expected);
    const hop = Buffer.alloc(8);
    hop[0] = 60; // next: destination options
    const dst = Buffer.alloc(16);
    dst[0] = 6;
    dst[1] = 1; // (1 + 1) * 8 bytes
    assert.deepEqual(parseSyn(ipv6Syn([hop, dst], 0)), expected);
  });

  it('lets through what is not a TCP header it can read', () => {
    assert.equal(parseSyn(Buffer.alloc(0)), undefined);
    assert.equal(parseSyn(ipv6Syn([], 17)), undefined, 'UDP');
    const frag = Buffer.alloc(8);
    frag[0] = 6;
    frag.writeUInt16BE(8 << 3, 2); // offset 8: not the first fragment
    assert.equal(parseSyn(ipv6Syn([frag], 44)), undefined);
    assert.equal(parseSyn(ipv6Syn([], 6).subarray(0, 42)), undefined, 'cut before the ports');
  });
});

describe('mount tables', () => {
  it('reads mountinfo lines, unescaping paths', () => {
    const m = parseMountinfo(
      [
        '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
        '43 27 0:45 /containerd/containerd.sock /run/my\\040dir/containerd.sock rw,relatime shared:3 - tmpfs tmpfs rw',
        'garbage',
      ].join('\n'),
    );
    assert.deepEqual(m, [
      { device: '254:0', root: '/', mountPoint: '/', fstype: 'ext4', shared: false },
      { device: '0:45', root: '/containerd/containerd.sock', mountPoint: '/run/my dir/containerd.sock', fstype: 'tmpfs', shared: true },
    ]);
  });

  it('names devices as mountinfo does', () => {
    assert.equal(deviceName(65024), '254:0');
    assert.equal(deviceName(45), '0:45');
    assert.equal(deviceName(0x10_0301), '3:257');
  });
});
