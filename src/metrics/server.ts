/**
 * The /metrics HTTP endpoint. Off unless bondd is given `--metrics-listen HOST:PORT`.
 *
 * bondd runs as root and manages the host's network, so the endpoint is read-only, answers only
 * GET and HEAD on /metrics, and binds to a loopback address unless remote listening is allowed
 * explicitly. HOST must be an IP address (IPv6 in brackets) or `localhost` (127.0.0.1): a name
 * that resolves to something else on another day is not a listen address.
 *
 * Each scrape reads the kernel afresh; scrapes that arrive while one is being rendered share it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import { CONTENT_TYPE } from './prometheus.js';

export interface ListenAddress {
  /** IP literal, without brackets. */
  host: string;
  port: number;
  loopback: boolean;
}

export class MetricsAddressError extends Error {
  override name = 'MetricsAddressError';
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8 (::ffff:127.0.0.1). */
export function isLoopback(ip: string): boolean {
  if (isIPv4(ip)) return ip.split('.')[0] === '127';
  if (!isIPv6(ip)) return false;
  const groups = expandIPv6(ip.toLowerCase());
  if (!groups) return false;
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true;
  // IPv4-mapped: 80 zero bits, 16 one bits, then the IPv4 address.
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff && groups[6]! >> 8 === 127;
}

/** The eight 16-bit groups of an IPv6 address (isIPv6 already said it is one). */
function expandIPv6(ip: string): number[] | null {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const groups = halves.length === 2 ? [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * Parses `HOST:PORT`: `127.0.0.1:9900`, `[::1]:9900`, `localhost:9900`, `0.0.0.0:9900`. Port 0
 * picks a free port. A non-loopback address needs `allowNonLoopback`.
 */
export function parseListenAddress(text: string, options: { allowNonLoopback?: boolean } = {}): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new MetricsAddressError(`"${text}" is not HOST:PORT (for example 127.0.0.1:9900 or [::1]:9900)`);
  const bracketed = m[1];
  let host = bracketed ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new MetricsAddressError(`"${text}": port ${port} is out of range 0-65535`);
  if (bracketed !== undefined && !isIPv6(host)) throw new MetricsAddressError(`"${text}": ${host} in brackets is not an IPv6 address`);
  if (bracketed === undefined && host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (bracketed === undefined && !isIPv4(host)) {
    throw new MetricsAddressError(`"${text}": ${host} is not an IPv4 address or localhost (write IPv6 addresses in brackets: [::1]:9900)`);
  }
  const loopback = isLoopback(host);
  if (!loopback && !options.allowNonLoopback) {
    throw new MetricsAddressError(
      `"${text}" is not a loopback address: the metrics endpoint has no authentication, so bondd listens on 127.0.0.1 or [::1] unless remote listening is allowed explicitly (bondd --metrics-allow-remote)`,
    );
  }
  return { host, port, loopback };
}

export interface MetricsServerOptions {
  /** `HOST:PORT`, see parseListenAddress. */
  listen: string;
  allowNonLoopback?: boolean;
  /** Produces the exposition; called once per scrape (concurrent scrapes share one call). */
  render(): Promise<string>;
  /** Where failures to render are reported (the scraper only sees a 500). */
  log?(message: string): void;
}

export class MetricsServer {
  readonly #server: Server;
  readonly #options: MetricsServerOptions;
  #inflight: Promise<string> | null = null;

  private constructor(server: Server, options: MetricsServerOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async listen(options: MetricsServerOptions): Promise<MetricsServer> {
    const address = parseListenAddress(options.listen, { allowNonLoopback: options.allowNonLoopback ?? false });
    const server = createServer();
    const metrics = new MetricsServer(server, options);
    server.on('request', (req, res) => metrics.#handle(req, res));
    // A scraper that stalls must not hold a connection forever.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(new Error(`metrics: cannot listen on ${options.listen}: ${error.code === 'EADDRINUSE' ? 'the address is in use' : error.message}`));
      };
      server.once('error', onError);
      server.listen({ host: address.host, port: address.port, ipv6Only: isIPv6(address.host) }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => options.log?.(`metrics: ${error.message}`));
    return metrics;
  }

  /** The bound address (the real port when 0 was asked for). */
  get address(): { host: string; port: number; url: string } {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return { host: a.address, port: a.port, url: `http://${host}:${a.port}/metrics` };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      send(res, 404, 'not found: the metrics are at /metrics\n', req.method === 'HEAD');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed: use GET\n', false);
      return;
    }
    this.#render().then(
      (body) => send(res, 200, body, req.method === 'HEAD', CONTENT_TYPE),
      (error: Error) => {
        this.#options.log?.(`metrics: cannot read the bonds for a scrape: ${error.message}`);
        send(res, 500, `bondd could not read the bonds: ${error.message}\n`, req.method === 'HEAD');
      },
    );
  }

  #render(): Promise<string> {
    if (!this.#inflight) {
      this.#inflight = this.#options.render().finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  /** Stops listening and drops open connections (keep-alive scrapers included). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, body: string, head: boolean, type = 'text/plain; charset=utf-8'): void {
  if (res.writableEnded || res.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : bytes);
}
