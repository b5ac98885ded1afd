import ipaddr from 'ipaddr.js';

export type CidrList = ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

/** Parses CIDRs (or bare addresses); throws with the offending entry so config errors name it. */
export function parseCidrs(entries: readonly string[]): CidrList {
  return entries.map((entry) => {
    try {
      return entry.includes('/') ? ipaddr.parseCIDR(entry) : ([ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number]);
    } catch {
      throw new Error(`"${entry}" is not an IP address or CIDR`);
    }
  });
}

function normalize(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(address)) return null;
  const parsed = ipaddr.parse(address);
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

export function inCidrs(address: string, cidrs: CidrList): boolean {
  const ip = normalize(address);
  return ip !== null && cidrs.some(([range, bits]) => ip.kind() === range.kind() && ip.match(range, bits));
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy, in which case
 * X-Forwarded-For is read from the right, skipping trusted proxies. Entries a client wrote itself
 * (left of the first untrusted hop) are never believed.
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | undefined, trusted: CidrList): string {
  let current = socketAddress ?? '';
  if (!forwardedFor || !inCidrs(current, trusted)) return current;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
  while (hops.length > 0 && inCidrs(current, trusted)) current = hops.pop()!;
  return current;
}
