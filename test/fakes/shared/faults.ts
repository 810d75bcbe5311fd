/**
 * Faults on demand for a fake server: fail the next N matching calls with a status and body,
 * hang past the client's timeout, or reset the connection. Registered as an `onRequest` hook so
 * it applies before authentication, rate limiting and routing, as a proxy failure would.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export const faultSchema = z.object({
  /** HTTP method to match; any when omitted. */
  method: z.string().toUpperCase().optional(),
  /** Regular expression tested against the request path (without query string). */
  path: z.string(),
  /** How many matching calls fail; then the fault is spent. */
  times: z.number().int().positive().default(1),
  kind: z.enum(['status', 'hang', 'reset']).default('status'),
  status: z.number().int().min(400).max(599).default(500),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** For `hang`: how long to wait before closing the socket without answering. */
  hangMs: z.number().int().positive().default(15_000),
});
export type FaultInput = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema> & { pattern: RegExp };

export class FaultRegistry {
  private faults: Fault[] = [];

  add(input: FaultInput): void {
    const fault = faultSchema.parse(input);
    this.faults.push({ ...fault, pattern: new RegExp(fault.path) });
  }

  clear(): void {
    this.faults = [];
  }

  get pending(): number {
    return this.faults.reduce((sum, f) => sum + f.times, 0);
  }

  /** Takes one use of the first fault matching the request, if any. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && f.pattern.test(path),
    );
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  /** Installs the hook. Requests under `/__fake/` are never faulted. */
  install(app: FastifyInstance, defaultBody: (status: number) => unknown): void {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '';
      if (path.startsWith('/__fake/')) return;
      const fault = this.take(request.method, path);
      if (!fault) return;
      if (fault.kind === 'reset') {
        request.raw.socket.destroy();
        return reply.hijack();
      }
      if (fault.kind === 'hang') {
        reply.hijack();
        setTimeout(() => request.raw.socket.destroy(), fault.hangMs).unref();
        return;
      }
      for (const [name, value] of Object.entries(fault.headers ?? {})) reply.header(name, value);
      return reply.code(fault.status).send(fault.body ?? defaultBody(fault.status));
    });
  }
}
