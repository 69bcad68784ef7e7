// Response checks for the generated client (it resolves every HTTP status; mw asserts the one it expects).
export class ApiResponseError extends Error {
  constructor(response) {
    const { method = 'GET', url = '' } = response.config ?? {};
    const body = response.data && typeof response.data === 'object' ? response.data : {};
    const path = url.startsWith('/') ? url : `/${url}`;
    super(`${method.toUpperCase()} ${path} answered ${response.status}${body.message ? `: ${body.message}` : ''}`);
    this.name = 'ApiResponseError';
    this.status = response.status;
    this.errorType = body.type;
    this.validationErrors = body.validationErrors;
  }
}

export function assertStatus(response, ...expected) {
  if (!expected.includes(response.status)) throw new ApiResponseError(response);
  return response.data;
}
