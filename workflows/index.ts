export * from './payment-workflow';
