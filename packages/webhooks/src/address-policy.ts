import ipaddr from 'ipaddr.js';

/**
 * IPv4-compatible IPv6 (`::a.b.c.d`, deprecated by RFC 4291) carries an IPv4 address but is not among
 * ipaddr.js's named ranges (it reads as `unicast`); some stacks still route it to the IPv4 address it carries.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Why a webhook may not be sent to an address, or `undefined` when it may: only ordinary global unicast is
 * allowed. Everything else ipaddr.js names is refused: loopback, private (RFC 1918), link-local (169.254/16,
 * where the cloud metadata services live, fe80::/10), unique-local (fc00::/7, e.g. AWS's fd00:ec2::254),
 * carrier-grade NAT (100.64/10, e.g. Alibaba's metadata at 100.100.100.200), multicast, broadcast,
 * unspecified, reserved and documentation ranges, and the IPv6 forms that embed an IPv4 address (NAT64, 6to4,
 * Teredo). An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as the IPv4 address it maps.
 * An allow-list of one range rather than a deny-list: a range the library adds later is refused by default.
 */
export function deniedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  return undefined;
}
