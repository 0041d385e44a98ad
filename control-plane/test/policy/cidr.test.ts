import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCidr } from '../../src/policy/cidr.js';

test('valid IPv4 and IPv6 CIDRs', () => {
  for (const ok of ['10.0.0.0/8', '10.1.2.3/32', '0.0.0.0/0', '192.168.4.0/22', 'fd00::/8', '2001:db8::/32',
    '::/0', '::1/128', '2001:DB8:0:0:0:0:0:1/128', '::ffff:10.0.0.0/104', '1:2:3:4:5:6:1.2.3.4/128']) {
    assert.equal(checkCidr(ok), undefined, ok);
  }
});

test('an address without prefix length gets a hint', () => {
  assert.equal(checkCidr('10.1.2.3'), '"10.1.2.3" is not a CIDR: add a prefix length, e.g. "10.1.2.3/32"');
  assert.equal(checkCidr('fd00::1'), '"fd00::1" is not a CIDR: add a prefix length, e.g. "fd00::1/128"');
});

test('prefix length out of range or malformed', () => {
  assert.equal(checkCidr('10.0.0.0/33'), '"10.0.0.0/33": prefix length must be an integer from 0 to 32 for IPv4');
  assert.equal(checkCidr('fd00::/129'), '"fd00::/129": prefix length must be an integer from 0 to 128 for IPv6');
  for (const bad of ['10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/8x', '10.0.0.0/1.5']) {
    assert.match(checkCidr(bad)!, /prefix length must be an integer/, bad);
  }
});

test('host bits set: refused with the network as suggestion', () => {
  assert.equal(checkCidr('10.1.2.3/8'), '"10.1.2.3/8" has host bits set beyond /8 (did you mean "10.0.0.0/8"?)');
  assert.equal(checkCidr('192.168.5.1/22'), '"192.168.5.1/22" has host bits set beyond /22 (did you mean "192.168.4.0/22"?)');
  assert.equal(checkCidr('2001:db8::1/32'), '"2001:db8::1/32" has host bits set beyond /32 (did you mean "2001:db8::/32"?)');
  assert.equal(checkCidr('::ffff:10.1.0.0/104'), '"::ffff:10.1.0.0/104" has host bits set beyond /104 (did you mean "::ffff:a00:0/104"?)');
  assert.equal(checkCidr('1:0:0:2::1/64'), '"1:0:0:2::1/64" has host bits set beyond /64 (did you mean "1:0:0:2::/64"?)');
});

test('not an address', () => {
  for (const bad of ['', 'ten/8', '10.0.0/8', '256.0.0.0/8', 'fe80::1%eth0/64', 'example.com/32']) {
    assert.match(checkCidr(bad)!, /is not an IPv4 or IPv6 CIDR/, bad);
  }
});
