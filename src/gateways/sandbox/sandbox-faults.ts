import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import { PAYMENT_FAILURES } from '../../shared/failure-types';
import { GatewayError } from '../payment-gateway';
import { SandboxFaultRepository } from './sandbox-fault-repository';

/** The ways the sandbox can misbehave on purpose, as real gateways do (SANDBOX_FAULTS; tests and demos only). */
export const SANDBOX_FAULT_KINDS = ['timeout_after_charge', 'unavailable', 'slow'] as const;
export type SandboxFaultKind = (typeof SANDBOX_FAULT_KINDS)[number];
export type SandboxOperation = 'authorize' | 'capture' | 'void' | 'refund';

export interface SandboxFaultSettings {
  /** Per call, drawn independently: the chance of each kind (absent: 0). */
  probabilities: Partial<Record<SandboxFaultKind, number>>;
  /** How long an `unavailable` fault keeps failing every call to the gateway. */
  burstMs: number;
  /** How long a `slow` answer waits after the operation is recorded. */
  slowMs: number;
}

const FAULT_VARIABLES = ['SANDBOX_FAULTS', 'SANDBOX_FAULT_BURST_MS', 'SANDBOX_FAULT_SLOW_MS'];

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer of milliseconds, got "${raw}"`);
  return value;
}

/** Parses SANDBOX_FAULTS ("timeout_after_charge:0.1,unavailable:0.02,slow:0.1") and its two durations; unset: no faults. */
export function sandboxFaultSettings(env: NodeJS.ProcessEnv, nodeEnv: string): SandboxFaultSettings | undefined {
  const set = FAULT_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (set.length > 0 && nodeEnv === 'production')
    throw new Error(`${set.join(', ')}: sandbox fault injection is for tests and demos; it cannot be set in production`);
  const burstMs = milliseconds(env, 'SANDBOX_FAULT_BURST_MS', 3000);
  const slowMs = milliseconds(env, 'SANDBOX_FAULT_SLOW_MS', 2000);
  const raw = env.SANDBOX_FAULTS?.trim();
  if (!raw) return undefined;
  const probabilities: SandboxFaultSettings['probabilities'] = {};
  for (const pair of raw.split(',')) {
    const [kind, probability, ...rest] = pair.split(':').map((part) => part.trim());
    if (!(SANDBOX_FAULT_KINDS as readonly string[]).includes(kind) || probability === undefined || rest.length > 0) {
      throw new Error(`SANDBOX_FAULTS must be kind:probability pairs with kinds ${SANDBOX_FAULT_KINDS.join(', ')}, got "${pair.trim()}"`);
    }
    const value = Number(probability);
    if (probability === '' || !(value >= 0 && value <= 1))
      throw new Error(`SANDBOX_FAULTS: the probability of ${kind} must be a number from 0 to 1, got "${probability}"`);
    if (kind in probabilities) throw new Error(`SANDBOX_FAULTS names ${kind} twice`);
    probabilities[kind as SandboxFaultKind] = value;
  }
  return { probabilities, burstMs, slowMs };
}

export interface SandboxFaultsOptions {
  orm: Orm;
  settings: SandboxFaultSettings;
  random?: () => number;
  /** Milliseconds since the epoch; bursts are measured with it. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Injects the configured faults into one sandbox gateway instance and records each one in
 * `sandbox_faults`, with the process that injected it, so a chaos run can count them by kind.
 */
export class SandboxFaults {
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private burstUntil = -Infinity;

  constructor(private readonly options: SandboxFaultsOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Before the gateway does anything: during a burst, or when one starts now, the call fails as a 503 would, with nothing recorded. */
  async beforeCall(operation: SandboxOperation, idempotencyKey: string): Promise<void> {
    const now = this.now();
    if (now >= this.burstUntil) {
      if (!this.draws('unavailable')) return;
      this.burstUntil = now + this.options.settings.burstMs;
    }
    await this.record('unavailable', operation, idempotencyKey);
    throw new GatewayError('GatewayUnavailable', PAYMENT_FAILURES.GatewayUnavailable.message);
  }

  /**
   * After the operation is recorded: a slow answer, then a lost one. The answer is lost only on
   * the call that moved the money (`firstAttempt`): the retry under the same key gets the first answer.
   */
  async afterRecord(operation: SandboxOperation, idempotencyKey: string, firstAttempt: boolean): Promise<void> {
    if (this.draws('slow')) {
      // Recorded before the wait: a chaos run kills the worker on a fresh row, between "charged" and "answered".
      await this.record('slow', operation, idempotencyKey);
      await this.sleep(this.options.settings.slowMs);
    }
    if (firstAttempt && this.draws('timeout_after_charge')) {
      await this.record('timeout_after_charge', operation, idempotencyKey);
      throw new GatewayError('GatewayTimeout', PAYMENT_FAILURES.GatewayTimeout.message);
    }
  }

  private draws(kind: SandboxFaultKind): boolean {
    const probability = this.options.settings.probabilities[kind] ?? 0;
    return probability > 0 && this.random() < probability;
  }

  private async record(kind: SandboxFaultKind, operation: SandboxOperation, idempotencyKey: string): Promise<void> {
    try {
      await new SandboxFaultRepository(sqlFor(this.options.orm.em.fork())).insert({ kind, operation, idempotencyKey, pid: process.pid });
    } catch {
      // The fault is injected all the same: a failed record must never become a different failure.
    }
  }
}
