import { luhnValid } from '../../src/vault/card-validation';

/**
 * Finds what looks like a card number: a run of 13-19 digits (not part of a longer one) that passes
 * Luhn and starts like a payment card (3-6: Amex, Diners, JCB, Visa, Mastercard, Discover, ...;
 * 2221-2720: Mastercard's 2-series). Left out because they are not card data and would make the
 * scan flaky: runs inside a hex string of 32+ characters (hashes, ciphertexts), epoch milliseconds
 * (every log line's `time` starts with 1 until 2033) and compact timestamps such as migration names (20261121...).
 */
export function findCardNumbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\d+/g)) {
    const run = match[0];
    if (run.length < 13 || run.length > 19 || !startsLikeACard(run) || !luhnValid(run)) continue;
    const start = match.index ?? 0;
    let from = start;
    let to = start + run.length;
    while (from > 0 && /[0-9a-fA-F]/.test(text[from - 1])) from--;
    while (to < text.length && /[0-9a-fA-F]/.test(text[to])) to++;
    if (to - from >= 32) continue;
    found.push(run);
  }
  return found;
}

function startsLikeACard(run: string): boolean {
  const four = Number(run.slice(0, 4));
  return /^[3-6]/.test(run) || (four >= 2221 && four <= 2720);
}

/** Finds a CVC next to a card-ish key: `cvc`, `cvv`, `security_code` followed within a few characters by one of `cvcs`. */
export function findCvcs(text: string, cvcs: string[]): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/cvc|cvv|security_code|card_code/gi)) {
    const after = text.slice((match.index ?? 0) + match[0].length, (match.index ?? 0) + match[0].length + 24);
    for (const cvc of cvcs) if (new RegExp(`^[^0-9a-zA-Z]{0,8}${cvc}(?!\\d)`).test(after)) found.push(`${match[0]}…${cvc}`);
  }
  return found;
}

/** Every hit in one place, labelled with where it was found, for an assertion that shows what leaked. */
export function scanForCardData(sources: { where: string; text: string }[], cvcs: string[]): string[] {
  return sources.flatMap(({ where, text }) => [
    ...findCardNumbers(text).map((hit) => `${where}: card number ending ${hit.slice(-4)} (${hit.length} digits)`),
    ...findCvcs(text, cvcs).map((hit) => `${where}: ${hit}`),
  ]);
}

/** A secret the scan looks for (a webhook signing secret, gateway credentials), with a label that names it without showing it. */
export interface NamedSecret {
  label: string;
  value: string;
}

/**
 * The forms a secret could be stored in: as given, its UTF-8 bytes in hex (a bytea column read as hex)
 * and, for a `whsec_` secret, its base64 key without the prefix and that key's bytes in hex.
 */
export function secretForms(secret: string): { form: string; text: string }[] {
  const forms = [
    { form: 'as given', text: secret },
    { form: 'hex', text: Buffer.from(secret, 'utf8').toString('hex') },
  ];
  if (secret.startsWith('whsec_')) {
    const key = secret.slice('whsec_'.length);
    forms.push({ form: 'base64 key', text: key }, { form: 'key bytes in hex', text: Buffer.from(key, 'base64').toString('hex') });
  }
  return forms;
}

/** Every place a secret shows in any of its forms, labelled, never quoting the secret itself. */
export function findSecrets(sources: { where: string; text: string }[], secrets: NamedSecret[]): string[] {
  const forms = secrets.flatMap((secret) => secretForms(secret.value).map((form) => ({ ...form, label: secret.label })));
  return sources.flatMap(({ where, text }) =>
    forms.filter((form) => text.toLowerCase().includes(form.text.toLowerCase())).map((form) => `${where}: ${form.label} (${form.form})`),
  );
}
