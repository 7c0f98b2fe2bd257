import { z } from 'zod';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { GatewayCoolDowns } from '../routing/gateway-cool-downs';
import { apiTimestamp } from '../shared/timestamps';
import { defineRoute, type ApiRoute } from './route';

const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ postgres: z.enum(['ok', 'unreachable']), temporal: z.enum(['ok', 'unreachable']) }),
  details: z.object({
    gateway_accounts_cooling_down: z
      .array(z.object({ gateway: z.string(), accounts: z.number().int(), until: z.string() }))
      .describe(
        'Per gateway, how many accounts new payments skip after repeated unavailable answers, and until when the last of them does ' +
          '(empty when PostgreSQL is unreachable). Which accounts: the gateway_account_cooling_down metric (this endpoint is public).',
      ),
  }),
});

const CHECK_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** GET /health: 200 when Postgres and Temporal answer, 503 otherwise. */
export function healthRoutes(orm: MikroORM, temporal: Client): ApiRoute[] {
  const coolDowns = new GatewayCoolDowns({ orm });
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      tags: ['Operations'],
      auth: 'none',
      exemptFromRateLimit: true,
      summary: 'Health of the API and its dependencies',
      responses: {
        200: { description: 'Everything reachable.', schema: healthSchema },
        503: { description: 'A dependency is unreachable.', schema: healthSchema },
      },
      async handle() {
        const [postgres, temporalStatus] = await Promise.all([
          probe(() => orm.em.getConnection().execute('select 1')),
          probe(() => temporal.workflowService.getSystemInfo({})),
        ]);
        const ok = postgres === 'ok' && temporalStatus === 'ok';
        // An account's outage is the gateway's, not ours: it is shown, and the API stays healthy.
        const cooling = postgres === 'ok' ? await coolDowns.coolingDown().catch(() => []) : [];
        return {
          status: ok ? 200 : 503,
          body: {
            status: ok ? 'ok' : 'degraded',
            checks: { postgres, temporal: temporalStatus },
            details: { gateway_accounts_cooling_down: coolingByGateway(cooling) },
          },
        };
      },
    }),
  ];
}

/** Merchants' account ids stay off this unauthenticated endpoint: only counts per gateway, and the latest end. */
function coolingByGateway(cooling: { gateway: string; until: Date }[]): { gateway: string; accounts: number; until: string }[] {
  const byGateway = new Map<string, { accounts: number; until: Date }>();
  for (const account of cooling) {
    const seen = byGateway.get(account.gateway);
    byGateway.set(account.gateway, {
      accounts: (seen?.accounts ?? 0) + 1,
      until: seen && seen.until > account.until ? seen.until : account.until,
    });
  }
  return [...byGateway].map(([gateway, { accounts, until }]) => ({ gateway, accounts, until: apiTimestamp(until) }));
}
