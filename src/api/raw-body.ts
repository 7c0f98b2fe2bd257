import type { Context } from 'koa';
import { ApiError, apiErrors } from '../shared/api-error';

const UTF8_CHARSETS = ['utf-8', 'utf8', 'us-ascii'];

const tooLarge = apiErrors.bodyTooLarge;

/**
 * Reads a text body of at most `limitBytes` as strict UTF-8. A declared Content-Length over the
 * limit is refused before reading; a chunked body is counted as it arrives.
 */
export async function readTextBody(ctx: Context, limitBytes: number): Promise<string> {
  // A request re-run after a dependency outage finds its body read already: the stream is gone.
  const state = ctx.state as { textBody?: string };
  if (state.textBody !== undefined) return state.textBody;
  const charset = ctx.request.charset;
  if (charset && !UTF8_CHARSETS.includes(charset.toLowerCase())) {
    throw apiErrors.unsupportedMediaType(`The ${ctx.request.type} body must be UTF-8, not ${charset}`);
  }
  if (Number(ctx.get('content-length') || 0) > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk);
  }
  try {
    state.textBody = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    return state.textBody;
  } catch {
    throw new ApiError(400, `The ${ctx.request.type} body is not valid UTF-8`, 'invalid_request_body');
  }
}
