/**
 * An error the API answers with as-is: the seed's `{ "error": "..." }` body plus a machine-readable
 * `code` and, when one field is at fault, `param`. Anything else thrown becomes a 500 whose
 * message is hidden.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly param?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static badRequest(message: string, code: string, param?: string): ApiError {
    return new ApiError(400, message, code, param);
  }

  static notFound(message: string, code = 'resource_missing', param?: string): ApiError {
    return new ApiError(404, message, code, param);
  }

  static conflict(message: string, code: string): ApiError {
    return new ApiError(409, message, code);
  }

  static unauthorized(message = 'Invalid API key provided'): ApiError {
    return new ApiError(401, message, 'unauthorized');
  }

  static unavailable(message: string, code = 'service_unavailable'): ApiError {
    return new ApiError(503, message, code);
  }
}
