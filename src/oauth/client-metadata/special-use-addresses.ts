// Which IP addresses a Client ID Metadata Document may be fetched from: public unicast only.
// Anything else (this host, the private network, link-local cloud metadata, CGNAT, multicast,
// documentation and benchmarking ranges, addresses that embed an IPv4 address) would let an
// unauthenticated caller make the server reach into its own network.
import { BlockList, isIP } from 'node:net';

// IANA IPv4 Special-Purpose Address Registry, plus multicast and the reserved 240/4.
const SPECIAL_USE_IPV4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches this host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

// Global unicast IPv6 is 2000::/3; everything outside it (loopback, unspecified, IPv4-mapped and
// -compatible, NAT64, discard, unique-local, link-local, multicast) is refused by not being in it.
const GLOBAL_UNICAST_IPV6: [string, number] = ['2000::', 3];
const SPECIAL_USE_IPV6: Array<[string, number]> = [
  ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address, private ones included
  ['3fff::', 20], // documentation
];

const refused = new BlockList();
for (const [network, prefix] of SPECIAL_USE_IPV4) refused.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_USE_IPV6) refused.addSubnet(network, prefix, 'ipv6');
const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet(...GLOBAL_UNICAST_IPV6, 'ipv6');

/** true only for a public unicast address (IPv4 dotted or IPv6, without brackets) */
export function isPublicAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return !refused.check(address, 'ipv4');
  if (version === 6) return globalUnicastV6.check(address, 'ipv6') && !refused.check(address, 'ipv6');
  return false;
}
