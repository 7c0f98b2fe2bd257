// What Chromium sends for a page: HTML first.
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/**
 * A customer's browser without JavaScript, for the hosted payment page: asks for HTML as Chromium does (so refusals
 * come back as pages), keeps the page's cookie, and follows no redirect by itself.
 */
export class FormBrowser {
  private cookie = '';

  async get(url: string) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { accept: BROWSER_ACCEPT, ...(this.cookie ? { cookie: this.cookie } : {}) },
    });
    this.keepCookie(response);
    return { status: response.status, html: await response.text(), location: response.headers.get('location'), headers: response.headers };
  }

  async post(url: string, fields: Record<string, string>) {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        accept: BROWSER_ACCEPT,
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.keepCookie(response);
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  }

  private keepCookie(response: Response): void {
    const set = response.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
  }
}

export function csrfOf(html: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1];
}
