export * from './payment-workflow';
export * from './refund-workflow';
export * from './dispute-workflow';
export * from './webhook-delivery-workflow';
export * from './settlement-workflow';
