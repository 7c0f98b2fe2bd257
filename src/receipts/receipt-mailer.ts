import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
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
 * same file instead of adding one.
 */
export function createMailer(settings: AppConfig['mail']): Mailer {
  if (settings.smtpUrl) {
    const transport = nodemailer.createTransport(settings.smtpUrl);
    return {
      where: smtpAddressForDisplay(settings.smtpUrl),
      async send(mail) {
        await transport.sendMail({ from: settings.from, ...mail });
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    where: settings.dir,
    async send(mail) {
      const built = await transport.sendMail({ from: settings.from, ...mail });
      await fs.mkdir(settings.dir, { recursive: true });
      const name = mail.messageId.replace(/[^A-Za-z0-9_.@-]/g, '');
      await fs.writeFile(path.join(settings.dir, `${name}.eml`), built.message as Buffer);
    },
  };
}
