import { ActivityFailure, ApplicationFailure, defineQuery, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReportRunState, ReportRunWorkflowInput } from '../src/report-runs/report-run-state';
import type { OperationFailureType } from '../src/shared/failure-types';

/** The run as its workflow knows it. */
export const getReportRunStateQuery = defineQuery<ReportRunState>('getReportRunState');

const FILE_TOO_LARGE: OperationFailureType = 'ReportRunFileTooLarge';

const { buildReportRunFile } = proxyActivities<Activities>({
  // A big report takes minutes; a stuck one is noticed by its missed heartbeats (one per batch), not by this.
  startToCloseTimeout: '2h',
  heartbeatTimeout: '2m',
  // A database outage may be over in twenty minutes; a report that still cannot be built then is failed, not left pending.
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [FILE_TOO_LARGE],
  },
});
const { recordReportRunOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** The reason a failed run shows: a business failure's own message, otherwise a plain one (the details are in the history). */
function failureReason(error: ActivityFailure): string {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === FILE_TOO_LARGE) return cause.message;
  return 'The report could not be built; create a new report run.';
}

/**
 * One report run: build its file, then record the run succeeded (or failed, with the reason) together
 * with its `reporting.report_run.*` event. The run ends decided whatever the build met.
 */
export async function reportRunWorkflow(input: ReportRunWorkflowInput): Promise<ReportRunState> {
  const state: ReportRunState = { runId: input.runId, status: 'pending', size: null, error: null };
  setHandler(getReportRunStateQuery, () => state);
  setCurrentDetails(`**building** ${input.filename} for merchant ${input.merchantId}`);
  try {
    const built = await buildReportRunFile(input);
    state.size = built.size;
    await recordReportRunOutcome({ runId: input.runId, fileId: input.fileId, outcome: { status: 'succeeded' } });
    state.status = 'succeeded';
    setCurrentDetails(`**succeeded**: ${input.filename}, ${built.size} bytes (${built.fileId})`);
  } catch (error) {
    if (!(error instanceof ActivityFailure) || state.size !== null) throw error;
    state.error = failureReason(error);
    await recordReportRunOutcome({ runId: input.runId, fileId: input.fileId, outcome: { status: 'failed', error: state.error } });
    state.status = 'failed';
    setCurrentDetails(`**failed**: ${state.error}`);
  }
  return state;
}
