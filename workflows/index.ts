export * from './payment-workflow';
export * from './refund-workflow';
export * from './dispute-workflow';
export * from './webhook-delivery-workflow';
export * from './settlement-workflow';
export * from './fee-invoice-workflow';
export * from './ledger-check-workflow';
export * from './reconciliation-workflow';
