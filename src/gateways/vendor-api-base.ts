/**
 * Reads a setting that points a vendor's SDK at another server than the vendor's own (stripe-mock, our
 * fakes): a bare http(s) origin. Unset means the vendor itself; a bad value fails loudly rather than
 * sending calls somewhere else. `example` completes the error message.
 */
export function parseVendorApiBase(setting: string, value: string | undefined, example: string): URL | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const invalid = (why: string) => {
    // A value with credentials in it is not repeated back.
    const shown = text.includes('@') ? '(value not shown)' : JSON.stringify(text);
    return new Error(
      `${setting}=${shown} is invalid: ${why}. Expected an origin such as ${example}, or leave it unset for the vendor itself.`,
    );
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('it is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('the scheme must be http or https');
  if (url.username || url.password) throw invalid('it must not carry a user name or password');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw invalid("it must be a bare origin: the vendor's library adds its own paths");
  if (!url.hostname) throw invalid('it has no host');
  return url;
}
