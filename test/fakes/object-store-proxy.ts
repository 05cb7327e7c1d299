import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of an S3-compatible server (s3rver) that holds back or fails
 * chosen PUTs, to test what a writer does when one object write is slow or refused. Everything
 * else is forwarded unchanged. Point `lake.endpoint` at `url`.
 */
export interface PutRule {
  /** Substring of the decoded request path (`/bucket/key`) a PUT must contain. */
  readonly match: string;
  /** Let this many matching PUTs through before the rule applies (default 0). */
  readonly after?: number;
  /** Hold a matching PUT this long before forwarding it. */
  readonly delayMs?: number;
  /** Answer matching PUTs 500 InternalError without forwarding them. */
  readonly fail?: boolean;
  /** Apply to this many matching PUTs, then stop (default: every one). */
  readonly times?: number;
}

export interface ObjectStoreProxy {
  readonly url: string;
  /** Add a rule; returns a function that removes it. */
  rule(rule: PutRule): () => void;
  /** Paths of PUTs forwarded, in order. */
  readonly forwarded: string[];
  /** Resolves when a held PUT has been let through and answered (for the test to await). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startObjectStoreProxy(target: string): Promise<ObjectStoreProxy> {
  const to = new URL(target);
  const rules: { rule: PutRule; seen: number; applied: number }[] = [];
  const forwarded: string[] = [];
  const pending = new Set<Promise<void>>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      let delayMs = 0;
      let fail = false;
      if (req.method === 'PUT') {
        for (const r of rules) {
          if (!path.includes(r.rule.match)) continue;
          r.seen++;
          if (r.seen <= (r.rule.after ?? 0)) continue;
          if (r.rule.times !== undefined && r.applied >= r.rule.times) continue;
          r.applied++;
          delayMs = Math.max(delayMs, r.rule.delayMs ?? 0);
          fail ||= r.rule.fail === true;
        }
      }
      const work = (async () => {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (fail) {
          res
            .writeHead(500, { 'content-type': 'application/xml' })
            .end(
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>',
            );
          return;
        }
        await new Promise<void>((resolve) => {
          const upstream = request(
            {
              host: to.hostname,
              port: to.port,
              method: req.method,
              path: req.url,
              headers: { ...req.headers, host: to.host },
            },
            (up) => {
              if (req.method === 'PUT' && (up.statusCode ?? 500) < 300) forwarded.push(path);
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
              up.on('end', resolve);
            },
          );
          upstream.on('error', (error) => {
            res.writeHead(502).end(String(error));
            resolve();
          });
          upstream.end(Buffer.concat(chunks));
        });
      })();
      if (delayMs > 0) {
        pending.add(work);
        void work.finally(() => pending.delete(work));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    rule(rule) {
      const entry = { rule, seen: 0, applied: 0 };
      rules.push(entry);
      return () => {
        const i = rules.indexOf(entry);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    async settled() {
      await Promise.all([...pending]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
