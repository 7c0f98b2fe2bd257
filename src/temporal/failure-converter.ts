/*
 * Failures with their message and stack trace moved into an encoded payload, so the payload codec
 * encrypts them: a decline reason or an error's context is never in clear in a history.
 *
 * Workers load this file by path (`failureConverterPath`) with Node's own require, and workflow
 * bundles include it because workflow code converts failures inside the sandbox too. It is
 * written as CommonJS that is also valid TypeScript, so it loads as-is from .ts sources (tests
 * and tsx) as well as compiled, and it imports nothing that does I/O.
 */
exports.failureConverter = new (require('@temporalio/common').DefaultFailureConverter)({ encodeCommonAttributes: true });
