export {};

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    temporalCliPath: string;
    testServerPath: string;
    workflowBundlePath: string;
  }
}
