import type { SandboxFaultKind, SandboxOperation } from './sandbox-faults';

/** A fault the sandbox injected, as `sandbox_faults` keeps it for a chaos run to count by kind. */
export interface SandboxFaultRecord {
  kind: SandboxFaultKind;
  operation: SandboxOperation;
  idempotencyKey: string;
  /** The process that injected it. */
  pid: number;
}
