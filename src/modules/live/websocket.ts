// graphql-ws on the HTTP server's /graphql path. Operations run through yoga's envelop, so
// WebSocket subscriptions share the context, plugins and error masking of HTTP requests.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Context } from '../../context.js';
import type { UpgradeHandler } from '../../http/edge/guard.js';
import type { Logger } from '../../logger.js';

export interface GraphQLWebSocket {
  /** Closes every connection (their subscriptions are returned) and stops accepting new ones. */
  close(): Promise<void>;
  connectionCount(): number;
}

const USER_PARAM = 'x-runledger-user';

export function attachGraphQLWebSocket(options: {
  server: http.Server;
  yoga: YogaServerInstance<Record<string, never>, Context>;
  path: string;
  maxSubscriptionsPerConnection: number;
  log: Logger;
  /** The HTTP edge every upgrade passes first (Host and Origin checks, failures contained). */
  edge: (handler: UpgradeHandler) => UpgradeHandler;
}): GraphQLWebSocket {
  const { server, yoga, path, maxSubscriptionsPerConnection, log } = options;
  const wss = new WebSocketServer({ noServer: true });
  let closing = false;

  const onUpgrade = options.edge((req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (req.url ?? '').split('?')[0];
    if (closing || pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.on('upgrade', onUpgrade);

  // Operations open per connection, by graphql-ws's ctx (one per socket).
  const open = new WeakMap<object, Set<string>>();

  // The socket's upgrade request, with what browsers must send in connectionParams instead of
  // headers: the acting user and the API token (connectionParams.authorization = "Bearer <token>").
  const requestOf = (ctx: { extra: { request: http.IncomingMessage }; connectionParams?: Readonly<Record<string, unknown>> }) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(ctx.extra.request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const user = ctx.connectionParams?.[USER_PARAM];
    if (typeof user === 'string') headers.set(USER_PARAM, user);
    const authorization = ctx.connectionParams?.authorization;
    if (typeof authorization === 'string') headers.set('authorization', authorization);
    return new Request(`http://localhost${ctx.extra.request.url ?? path}`, { headers });
  };

  const disposable = useServer(
    {
      // Credentials are checked once per connection: a missing, unknown or revoked token closes
      // the socket with 4403 Forbidden before any operation runs (and again per subscription).
      onConnect: async (ctx) => {
        try {
          await yoga.getEnveloped({ request: requestOf(ctx) }).contextFactory();
          return true;
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, id, params) => {
        let ids = open.get(ctx);
        if (!ids) open.set(ctx, (ids = new Set()));
        if (ids.size >= maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(
              `at most ${maxSubscriptionsPerConnection} subscriptions per connection (maxSubscriptionsPerConnection); complete one or open another connection`,
              { extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxSubscriptionsPerConnection', max: maxSubscriptionsPerConnection } },
            ),
          ];
        }
        const request = requestOf(ctx);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ request, params });
        let document;
        try {
          document = parse(params.query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        let contextValue;
        try {
          contextValue = await contextFactory();
        } catch (err) {
          if (err instanceof Error && err.name === 'GraphQLError') return [err as GraphQLError];
          throw err;
        }
        ids.add(id);
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      onComplete: (ctx, id) => {
        open.get(ctx)?.delete(id);
      },
    },
    wss,
  );

  return {
    async close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      const sockets = [...wss.clients];
      const gone = sockets.map((s) => new Promise<void>((resolve) => (s.readyState === s.CLOSED ? resolve() : s.once('close', () => resolve()))));
      // A peer that does not answer the close handshake is cut off.
      const timer = setTimeout(() => sockets.forEach((s) => s.terminate()), 2000);
      await Promise.resolve(disposable.dispose()).catch((err: unknown) => log.warn('closing WebSocket server failed', { err }));
      await Promise.all(gone);
      clearTimeout(timer);
    },
    connectionCount: () => wss.clients.size,
  };
}
