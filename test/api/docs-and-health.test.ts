import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/test-stack';
import { apiRoutes } from '../../src/api/app';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
});
afterAll(async () => stack?.close());

describe('operations endpoints', () => {
  it('when Postgres and Temporal answer, then GET /health is 200 with each check ok', async () => {
    const response = await stack.request('GET', '/health');
    expect(response.status).toBe(200);
    // Accounts cooled down by an earlier file's outage may still be listed: the shape is what counts here.
    expect(response.body).toEqual({
      status: 'ok',
      checks: { postgres: 'ok', temporal: 'ok' },
      details: { gateway_accounts_cooling_down: expect.any(Array) },
    });
  });

  it('when Temporal cannot be reached, then GET /health is 503 and names it', async () => {
    const { Client, Connection } = await import('@temporalio/client');
    const { createApp } = await import('../../src/api/app');
    type AppDeps = import('../../src/api/app').AppDeps;
    const { createLogger } = await import('../../src/logger');
    const { findFreePort } = await import('../../src/infra/temporal-dev-server');
    // Nothing listens on a fresh free port.
    const deadTemporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await findFreePort()}` }) });
    // Only /health is called: the domain services are never reached, whatever they are.
    const unusedServices = {} as Omit<AppDeps, 'orm' | 'temporal' | 'logger'>;
    const app = createApp({ ...unusedServices, orm: stack.orm, temporal: deadTemporal, logger: createLogger('silent') });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'degraded',
        checks: { postgres: 'ok', temporal: 'unreachable' },
        details: { gateway_accounts_cooling_down: expect.any(Array) },
      });
    } finally {
      server.close();
    }
  });

  it('when the OpenAPI document is fetched, then every mounted route is described with its request schema and errors', async () => {
    const response = await stack.request('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const document = response.body;
    expect(document.openapi).toBe('3.1.0');
    const routes = apiRoutes({} as never);
    for (const route of routes) {
      const operation = document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.operationId);
    }
    const create = document.paths['/v1/payments'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['amount', 'currency', 'source']);
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '202', '400', '401', '422']));
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
  });

  it('when /docs is opened, then the page and its renderer come from this server, not a CDN', async () => {
    const page = await stack.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.body).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${stack.baseUrl}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });
});

describe('the committed openapi.json', () => {
  it('when compared with what the API serves, then it is identical (run `npm run openapi` after changing a route)', async () => {
    const fs = await import('node:fs');
    const { currentOpenApiText, OPENAPI_FILE } = await import('../../src/main-openapi');
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(currentOpenApiText());
    const served = await stack.request('GET', '/openapi.json');
    expect(served.body).toEqual(JSON.parse(currentOpenApiText()));
  });
});
