/**
 * Where an API client gets its access token. The OAuth side (server/pipedrive/oauth.ts, the CC
 * connection) implements it; the clients only call it. On a 401 a client calls
 * `refresh(theRejectedToken)` once and retries; passing the rejected token lets the implementation
 * see that another process already refreshed (CC refresh tokens rotate and an old one fails:
 * DESIGN.md §8) and hand back the newer stored token instead of refreshing again.
 */
export interface TokenSource {
  get(): Promise<string>;
  refresh(rejected: string): Promise<string>;
}
