import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CallbackUrlError,
  deniedRange,
  resolveCallbackTarget,
  systemResolve,
  type Resolve,
  type ResolvedAddress,
} from '../src/index.ts';

const fixed =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
const refuse = (url: string, resolve: Resolve = systemResolve) =>
  assert.rejects(resolveCallbackTarget(url, { allowPrivate: false, resolve }), (err: unknown) => {
    assert.ok(err instanceof CallbackUrlError, `expected a CallbackUrlError for ${url}, got ${err}`);
    return true;
  });

describe('callback address policy', () => {
  test('refuses every address that is not public unicast, naming its range', () => {
    const denied: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.254', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['fe80::1', 'linkLocal'],
      ['fd00:ec2::254', 'uniqueLocal'],
      ['fc00::1', 'uniqueLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['100.100.100.200', 'carrierGradeNat'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['192.0.0.192', 'reserved'],
      ['198.51.100.7', 'reserved'],
      ['2001:db8::1', 'reserved'],
      // IPv4-mapped IPv6 is judged as the IPv4 address it carries.
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'linkLocal'],
      ['::ffff:10.0.0.1', 'private'],
      // Forms that embed an IPv4 address some other way.
      ['::7f00:1', 'ipv4Compatible'],
      ['::127.0.0.1', 'loopback'],
      ['64:ff9b::7f00:1', 'rfc6052'],
      ['2002:7f00:1::', '6to4'],
    ];
    for (const [address, range] of denied) assert.equal(deniedRange(address), range, address);
  });

  test('allows public unicast addresses', () => {
    for (const address of [
      '93.184.215.14',
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
    ])
      assert.equal(deniedRange(address), undefined, address);
  });
});

describe('callbackUrl at submission', () => {
  test('refuses loopback, private, link-local and metadata targets given as literals', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://127.0.0.1:8080/hook',
      'http://[::1]/hook',
      'http://10.0.0.5/hook',
      'https://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:169.254.169.254]/',
      'http://[0:0:0:0:0:ffff:a00:1]/',
      'http://0.0.0.0:9000/',
      'http://[::127.0.0.1]/',
      // The URL parser turns these IPv4 spellings into 127.0.0.1 before anything resolves them.
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://0177.0.0.1/',
      'http://127.1/',
    ])
      await refuse(url);
  });

  test('refuses names that resolve to a private address: localhost by the system resolver, others by any answer', async () => {
    await refuse('http://localhost:3000/hook');
    await refuse('http://LOCALHOST./hook');
    await refuse('https://hooks.example.test/', fixed('10.0.0.7'));
    await refuse('https://metadata.example.test/', fixed('169.254.169.254'));
    // One private answer among public ones is enough to refuse: a round-robin connection could pick it.
    await refuse('https://mixed.example.test/', fixed('93.184.215.14', '127.0.0.1'));
    await refuse('https://mapped.example.test/', fixed('::ffff:192.168.1.1'));
    // An address that is refused stays refused: retrying the delivery would not help.
    await assert.rejects(
      resolveCallbackTarget('https://hooks.example.test/', { allowPrivate: false, resolve: fixed('10.0.0.7') }),
      (err: unknown) => err instanceof CallbackUrlError && !err.retryable && /private/.test(err.message),
    );
  });

  test('refuses what is not an http(s) URL, or carries credentials', async () => {
    for (const url of [
      'ftp://93.184.215.14/x',
      'file:///etc/passwd',
      'gopher://93.184.215.14/',
      'not a url',
      '/relative',
    ])
      await refuse(url, fixed('93.184.215.14'));
    await refuse('https://user:pass@hooks.example.test/', fixed('93.184.215.14'));
    await refuse(`https://hooks.example.test/${'a'.repeat(2100)}`, fixed('93.184.215.14'));
  });

  test('accepts a public target and returns the checked addresses a delivery will connect to', async () => {
    const t = await resolveCallbackTarget('https://hooks.example.test/in?x=1', {
      allowPrivate: false,
      resolve: fixed('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'),
    });
    assert.equal(t.url.hostname, 'hooks.example.test');
    assert.deepEqual(
      t.addresses.map((a) => a.address),
      ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    );
  });

  test('an unresolvable host is refused, as retryable (DNS may answer later)', async () => {
    const failing: Resolve = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(
      resolveCallbackTarget('https://nowhere.invalid/', { allowPrivate: false, resolve: failing }),
      (err: unknown) => err instanceof CallbackUrlError && err.retryable && /could not be resolved/.test(err.message),
    );
  });

  test('WEBHOOK_ALLOW_PRIVATE lets loopback through (tests), still only over http(s)', async () => {
    const t = await resolveCallbackTarget('http://localhost:1234/', { allowPrivate: true, resolve: systemResolve });
    assert.ok(t.addresses.length >= 1);
    await assert.rejects(
      resolveCallbackTarget('ftp://127.0.0.1/', { allowPrivate: true, resolve: systemResolve }),
      CallbackUrlError,
    );
  });
});
