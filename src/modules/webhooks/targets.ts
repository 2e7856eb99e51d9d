// Where a webhook may post: an http(s) URL, and, unless private targets are allowed, never an
// address on this machine or a private network (a webhook is a request the server makes for its
// caller: it must not reach what only the server can). The address is checked when the
// connection is made, so a name that later resolves elsewhere (DNS rebinding) is caught too.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { ValidationError } from '../../errors.js';

const URL_MAX = 2000;

/** Loopback, private, link-local, carrier-grade NAT, unspecified and multicast addresses. */
export function isPrivateAddress(address: string): boolean {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(address);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  return v6 === '::' || v6 === '::1' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || /^ff/.test(v6);
}

/** Checks a webhook URL as given (scheme, length, and literal private hosts when not allowed); returns it normalized. */
export function requireWebhookUrl(field: string, value: string, allowPrivate: boolean): string {
  const text = value.trim();
  if (text.length > URL_MAX) throw new ValidationError(field, `must be at most ${URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(
      field,
      `${JSON.stringify(text.slice(0, 200))} is not a URL; give an http(s) URL such as https://deploy.example.com/hooks/runledger`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError(field, `must be an http or https URL (got ${url.protocol})`);
  if (url.username || url.password) throw new ValidationError(field, 'must not carry credentials; the receiver checks the signature instead');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host)))) {
    throw new ValidationError(field, `${host} is a loopback or private address; this server does not post webhooks there (RUNLEDGER_WEBHOOK_PRIVATE_TARGETS)`);
  }
  return url.toString();
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for http.request that refuses private addresses (when not allowed) at connection time. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const list = addresses as LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused) {
        const err: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${refused.address}, a loopback or private address; webhooks are not posted there`,
        );
        err.code = 'EPRIVATE';
        return callback(err, '');
      }
      if ((options as LookupAllOptions).all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
