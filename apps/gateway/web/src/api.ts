/** Talking to the gateway: the optional API key, and CONTRACT.md's error shape turned into an exception. */

const KEY_STORE = 'rag.apiKey';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const apiKey = {
  get: (): string => sessionStorage.getItem(KEY_STORE) ?? '',
  set: (key: string) => (key ? sessionStorage.setItem(KEY_STORE, key) : sessionStorage.removeItem(KEY_STORE)),
};

export function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey.get();
  if (key) headers.set('authorization', `Bearer ${key}`);
  return fetch(path, { ...init, headers });
}

export async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

export async function apiJson<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await apiFetch(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}
