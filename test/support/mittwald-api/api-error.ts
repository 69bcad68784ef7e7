// Errors in the shape mittwald's API answers with ({ type, message }, plus validationErrors on 400).
import type { Response } from 'express';

export interface ValidationIssue {
  path: string;
  message: string;
  type: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  readonly validationErrors?: ValidationIssue[];

  constructor(status: number, type: string, message: string, validationErrors?: ValidationIssue[]) {
    super(message);
    this.status = status;
    this.type = type;
    this.validationErrors = validationErrors;
  }

  static unauthorized(): ApiError {
    return new ApiError(401, 'UnauthorizedError', 'the access token is missing, invalid or revoked');
  }

  static forbidden(what: string): ApiError {
    return new ApiError(403, 'PermissionDenied', `you are not allowed to access ${what}`);
  }

  static notFound(what: string): ApiError {
    return new ApiError(404, 'NotFound', `${what} was not found`);
  }

  static validation(issues: ValidationIssue[]): ApiError {
    return new ApiError(400, 'ValidationError', 'the request is not valid', issues);
  }
}

export function sendApiError(res: Response, error: ApiError): void {
  res.status(error.status).json({
    type: error.type,
    message: error.message,
    ...(error.validationErrors && { validationErrors: error.validationErrors }),
  });
}
