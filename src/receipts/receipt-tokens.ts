import { randomBytes } from 'node:crypto';

/** 24 random bytes (192 bits) as base64url: 32 characters, unguessable. */
export function newReceiptToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What a token can look like; anything else is answered 404 without a query. */
export const RECEIPT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** The customer's link to a receipt. */
export function receiptUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/receipts/${token}`;
}
