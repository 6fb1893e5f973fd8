// Parsers for option values an operator types: byte sizes with binary units, JID domains,
// comma lists. Each returns the value or throws OptionValueError with what was expected.
export class OptionValueError extends Error {}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tib: 2 ** 40 };

/** "1048576", "512MiB", "4G" (units are binary: K = KiB = 1024), within [min, max]. */
export function parseSize(raw: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const m = /^\s*([0-9]{1,16})\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n)) throw new OptionValueError(`must be a size in bytes such as 1048576, 512MiB or 4GiB, got ${JSON.stringify(raw)}`);
  if (n < min || n > max) throw new OptionValueError(`must be from ${min} to ${max} bytes, got ${JSON.stringify(raw)}`);
  return n;
}

export function parseInteger(raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (!/^\s*[0-9]{1,15}\s*$/.test(raw) || n < min || n > max) throw new OptionValueError(`must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

// RFC 7622 domainpart, kept to what a DNS name needs: labels of letters, digits and hyphens.
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function parseDomain(raw: string): string {
  const d = raw.trim().toLowerCase().replace(/\.$/, "");
  if (!DOMAIN.test(d)) throw new OptionValueError(`must be a domain name such as files.example.org, got ${JSON.stringify(raw)}`);
  return d;
}

/** "*" = any domain (undefined); otherwise a comma-separated list of domain names. */
export function parseDomainList(raw: string): string[] | undefined {
  if (raw.trim() === "*") return undefined;
  const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new OptionValueError(`must be * or a comma-separated list of domains, got ${JSON.stringify(raw)}`);
  return parts.map(parseDomain);
}

/** xmpp://host:port (XEP-0114 has no discovery: the port of the component listener is needed). */
export function parseService(raw: string): string {
  const m = /^xmpp:\/\/([^/:\s]+|\[[0-9a-f:.]+\]):([0-9]{1,5})\/?$/i.exec(raw.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new OptionValueError(`must look like xmpp://host:port, got ${JSON.stringify(raw)}`);
  return `xmpp://${m[1]}:${m[2]}`;
}
