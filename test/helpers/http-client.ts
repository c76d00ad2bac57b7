/** A small GraphQL-over-HTTP client with a cookie jar, for tests. */
export interface GqlResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { data?: T; errors?: { message: string; extensions?: Record<string, any> }[] };
  readonly setCookies: string[];
}

/** The Set-Cookie lines of a response for one cookie name. */
export function setCookiesNamed(result: GqlResponse, name: string): string[] {
  return result.setCookies.filter((line) => line.startsWith(`${name}=`));
}

/** The Set-Cookie lines of the session cookie (plain or `__Host-`), leaving out the device cookie. */
export function sessionSetCookies(result: GqlResponse): string[] {
  return result.setCookies.filter((line) => /^(__Host-)?tessera_session=/.test(line));
}

export class HttpClient {
  /** Cookie name → value, as a browser would keep them (Max-Age=0 deletes). */
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader;
    if (cookie !== undefined && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const response = await this.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: GqlResponse<T>['body'];
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON answer (${response.status}): ${text.slice(0, 200)}`);
    }
    return { status: response.status, headers: response.headers, body, setCookies: response.headers.getSetCookie() };
  }

  /** Registers a fresh user and stays signed in; resolves its email and password. */
  async register(email = uniqueEmail(), password = 'correct horse battery'): Promise<{ email: string; password: string; id: string }> {
    const result = await this.gql(
      'mutation ($email: String!, $password: String!) { accountsRegister(email: $email, password: $password) { id } }',
      { email, password },
    );
    if (result.body.errors !== undefined) throw new Error(`register failed: ${JSON.stringify(result.body.errors)}`);
    return { email, password, id: result.body.data.accountsRegister.id };
  }

  async login(email: string, password: string): Promise<GqlResponse> {
    return this.gql('mutation ($email: String!, $password: String!) { accountsLogin(email: $email, password: $password) { id } }', {
      email,
      password,
    });
  }

  /** A fresh socket ticket from `accountsMe { token }`. */
  async ticket(): Promise<string> {
    const result = await this.gql('{ accountsMe { token } }');
    const token = result.body.data?.accountsMe?.token;
    if (typeof token !== 'string') throw new Error(`no ticket: ${JSON.stringify(result.body)}`);
    return token;
  }
}

let counter = 0;
export function uniqueEmail(): string {
  counter += 1;
  return `user${Date.now().toString(36)}${counter}@example.test`;
}
