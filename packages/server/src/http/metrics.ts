import client from 'prom-client';
import type { HttpApp } from './app.js';

/** Prometheus registry with process metrics and HTTP request timings. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status'>;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'devflow_' });
    this.httpDuration = new client.Histogram({
      name: 'devflow_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  /** A gauge whose value is read at scrape time. */
  gauge(name: string, help: string, labelNames: string[], collect: (g: client.Gauge) => Promise<void>): void {
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }

  /** Times every request by its route pattern (never by raw URL, so ids do not explode the label set). */
  instrument(app: HttpApp): void {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      this.httpDuration.observe(
        { method: req.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  }
}
