// One error type for every refusal, and the wrapper that turns it into CCF's error body.
import type { Request, Response } from "@microsoft/ccf-app";

/** A refusal with a stable code, an HTTP status and a message a user can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);

export function errorResponse(error: ApiError): Response {
  return {
    statusCode: error.status,
    body: { error: { code: error.code, message: error.message } },
  };
}

/**
 * Wraps a handler so that a thrown ApiError becomes its response (and, being non-2xx, applies
 * no write). Anything else is a bug of ours and is left to CCF, which answers 500.
 */
export function endpoint<T>(
  handler: (request: Request<T>) => Response,
): (request: Request<T>) => Response {
  return (request) => {
    try {
      return handler(request);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      throw error;
    }
  };
}
