export * from './payment-workflow';
export * from './refund-workflow';
