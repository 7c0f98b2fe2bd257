import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pino from 'pino';
import { initOrm, type Orm } from '../../src/db/orm';
import { SandboxNetwork } from '../../src/gateways/sandbox/sandbox-network';
import { newId } from '../../src/shared/ids';
import { eventually } from '../support/test-stack';

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ url: inject('databaseUrl'), poolMax: 4 });
});
afterAll(async () => orm?.close());

async function scheduleDisputeEvent(): Promise<string> {
  const id = newId('nev');
  await orm.em
    .getConnection()
    .execute(`insert into sandbox_network_events (id, type, payload, deliver_after) values (?, 'dispute.created', ?, now())`, [
      id,
      JSON.stringify({ charge: newId('ch'), amount_minor: 100, currency: 'USD', reason: 'fraudulent', dispute: newId('ndp') }),
    ]);
  return id;
}
const stored = async (id: string) =>
  (await orm.em.getConnection().execute(`select attempts, delivered_at from sandbox_network_events where id = ?`, [id]))[0];

describe('the sandbox card network delivering its events', () => {
  it('when the processor refuses an event 15 times (its charge not yet recorded), then the network keeps trying and it is delivered, once accepted', async () => {
    const id = await scheduleDisputeEvent();
    const seen: string[] = [];
    const network = new SandboxNetwork({
      orm,
      secret: 'whsec_test',
      logger: pino({ level: 'silent' }),
      pollMs: 20,
      retry: { firstSeconds: 0.01, maxSeconds: 0.05 },
    });
    network.start(async (_gateway, rawBody) => {
      const event = JSON.parse(rawBody) as { id: string };
      if (event.id !== id) return;
      seen.push(event.id);
      if (seen.length <= 15) throw new Error('No payment for this charge yet');
    });
    try {
      const delivered = await eventually(async () => ((await stored(id)).delivered_at ? stored(id) : undefined), 20_000, 20);
      expect(delivered.attempts).toBe(16);
      expect(seen).toHaveLength(16);
    } finally {
      await network.stop();
    }
  });

  it('when the process delivering an event dies before an answer, then the event stays due and, once its lease ends, another process delivers it', async () => {
    const id = await scheduleDisputeEvent();
    const silent = pino({ level: 'silent' });
    let claimed!: () => void;
    const claimedByFirst = new Promise<void>((resolve) => {
      claimed = resolve;
    });
    let dies!: () => void;
    const death = new Promise<void>((resolve) => {
      dies = resolve;
    });
    // The first process takes the event and never answers (killed mid-delivery).
    const first = new SandboxNetwork({ orm, secret: 'whsec_test', logger: silent, pollMs: 20 });
    first.start(async (_gateway, rawBody) => {
      if ((JSON.parse(rawBody) as { id: string }).id !== id) return;
      claimed();
      await death;
      throw new Error('the process died');
    });
    const received: string[] = [];
    const second = new SandboxNetwork({ orm, secret: 'whsec_test', logger: silent, pollMs: 20 });
    try {
      await claimedByFirst;
      expect(await stored(id)).toMatchObject({ attempts: 1, delivered_at: null });
      // The 30 s lease, ended now.
      await orm.em
        .getConnection()
        .execute(`update sandbox_network_events set deliver_after = now() - interval '1 second' where id = ?`, [id]);
      second.start(async (_gateway, rawBody) => {
        received.push((JSON.parse(rawBody) as { id: string }).id);
      });
      await eventually(async () => ((await stored(id)).delivered_at ? true : undefined), 10_000, 20);
      expect(received.filter((eventId) => eventId === id)).toHaveLength(1);
      expect((await stored(id)).attempts).toBe(2);
    } finally {
      dies();
      await first.stop();
      await second.stop();
    }
  });
});
