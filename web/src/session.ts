// Who is logged in. The CSRF token lives only here, in memory: on a reload
// the console asks GET /api/session for it again (the cookie is HttpOnly).
import { ApiError, get, post, setCsrfToken, type Role, type Session } from './api';

let current: Session | null = null;

export function session(): Session | null {
  return current;
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

// Whether the logged-in role includes `role`: used to hide what a role
// cannot use. The engine checks every request anyway.
export function can(role: Role): boolean {
  return current !== null && rank[current.role] >= rank[role];
}

function keep(s: Session | null): Session | null {
  current = s;
  setCsrfToken(s?.csrf_token ?? '');
  return s;
}

export async function restoreSession(): Promise<Session | null> {
  try {
    return keep(await get<Session>('/api/session'));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) return keep(null);
    throw e;
  }
}

export async function logIn(user: string, password: string): Promise<Session> {
  const s = await post<Session>('/api/login', { user, password });
  return keep(s) as Session;
}

export async function logOut(): Promise<void> {
  try {
    await post('/api/logout');
  } finally {
    keep(null);
  }
}

export function forgetSession(): void {
  keep(null);
}
