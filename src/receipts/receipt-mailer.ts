import fs from 'node:fs/promises';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { AppConfig } from '../config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A Message-ID derived from the event, so a retried send is recognisable as the same message. */
  messageId: string;
}

/** Sends one message; `where` says where mail goes, without credentials (for the start-up banner and logs). */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  readonly where: string;
}

/** `<receipt-evt_...@ledgerflow.local>`: the event id seeds it, the sender's domain closes it. */
export function receiptMessageId(eventId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'ledgerflow.local';
  return `<receipt-${eventId}@${domain}>`;
}

/** The SMTP server's address with any user and password left out. */
export function smtpAddressForDisplay(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
}

/**
 * SMTP_URL set: nodemailer's SMTP transport. Unset: nodemailer builds the same message and it is
 * written as an .eml file under the mail folder, named by its Message-ID so a retry rewrites the
 * same file instead of adding one. nodemailer loads at the first message (12 MB of memory that an
 * API or worker which never mails a receipt does not carry).
 */
export function createMailer(settings: AppConfig['mail']): Mailer {
  let transport: Promise<Transporter> | undefined;
  const transportOnce = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      settings.smtpUrl
        ? nodemailer.createTransport(settings.smtpUrl)
        : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
    ));
  if (settings.smtpUrl) {
    return {
      where: smtpAddressForDisplay(settings.smtpUrl),
      async send(mail) {
        await (await transportOnce()).sendMail({ from: settings.from, ...mail });
      },
    };
  }
  return {
    where: settings.dir,
    async send(mail) {
      const built = await (await transportOnce()).sendMail({ from: settings.from, ...mail });
      await fs.mkdir(settings.dir, { recursive: true });
      const name = mail.messageId.replace(/[^A-Za-z0-9_.@-]/g, '');
      await fs.writeFile(path.join(settings.dir, `${name}.eml`), built.message as Buffer);
    },
  };
}
