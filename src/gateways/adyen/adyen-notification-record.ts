/** One item of an Adyen notification, as the receiver verified and keeps it (table adyen_notifications). */
export interface AdyenNotificationRecord {
  eventCode: string;
  success: boolean;
  pspReference: string;
  originalReference: string | null;
  merchantReference: string | null;
  amountMinor: number | null;
  currency: string | null;
  reason: string | null;
  eventDate: string | null;
}
