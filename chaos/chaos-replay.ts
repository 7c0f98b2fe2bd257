import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { PayloadKey } from '../src/temporal/payload-keys';
import { temporalDataConverter } from '../src/temporal/data-converter';
import type { OpenWorkflow } from './chaos-invariants';

export interface ReplayOutcome {
  replayed: number;
  byType: Record<string, number>;
  failures: string[];
}

/** Workflows still running, by id and type: what the heal phase waits on. */
export async function openWorkflows(address: string, payloadKeys: PayloadKey[]): Promise<OpenWorkflow[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, dataConverter: temporalDataConverter(payloadKeys) });
    const open: OpenWorkflow[] = [];
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      open.push({ workflowId: execution.workflowId, type: execution.type });
    return open;
  } finally {
    await connection.close();
  }
}

/**
 * Every workflow execution of the run, open or closed, replayed from its history with the current
 * workflow bundle: any non-determinism a crash, a retry or a restart could have exposed shows here.
 */
export async function replayAllHistories(address: string, payloadKeys: PayloadKey[], bundlePath: string): Promise<ReplayOutcome> {
  const connection = await Connection.connect({ address });
  const outcome: ReplayOutcome = { replayed: 0, byType: {}, failures: [] };
  try {
    const client = new Client({ connection, dataConverter: temporalDataConverter(payloadKeys) });
    const histories = async function* () {
      for await (const execution of client.workflow.list()) {
        outcome.byType[execution.type] = (outcome.byType[execution.type] ?? 0) + 1;
        const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        yield { workflowId: execution.workflowId, history };
      }
    };
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: bundlePath }, dataConverter: temporalDataConverter(payloadKeys) },
      histories(),
    );
    for await (const result of results) {
      outcome.replayed++;
      if (result.error) outcome.failures.push(`${result.workflowId}: ${result.error.message.split('\n')[0]}`);
    }
  } finally {
    await connection.close();
  }
  return outcome;
}
