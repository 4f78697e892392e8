import type { Server } from 'node:http';
import type { AppConfig } from '../../config/app-config';

/** How often Node checks open connections against headersTimeout and requestTimeout (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * Node's HTTP server timeouts, set deliberately instead of inherited (requestTimeout defaults to
 * 300 s: a slow sender held a connection for five minutes):
 * - headersTimeout: the whole header block must arrive within HTTP_HEADERS_TIMEOUT_MS;
 * - requestTimeout: headers and body within HTTP_REQUEST_TIMEOUT_MS (Node answers 408 and closes);
 *   the body reader's own HTTP_BODY_TIMEOUT_MS is normally shorter and answers first, in our JSON shape;
 * - keepAliveTimeout: an idle kept-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS
 *   (behind a load balancer, make it longer than the balancer's idle timeout).
 * Must run before `listen()`: the connection checker starts on 'listening'.
 */
export function applyServerLimits(server: Server, http: AppConfig['http']): void {
  server.requestTimeout = http.requestTimeoutMs;
  // Node requires headersTimeout <= requestTimeout (it throws at construction otherwise; here it would silently never fire).
  server.headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    CONNECTIONS_CHECK_MS,
    server.headersTimeout,
  );
}
