/**
 * The parts of Adyen's official library we use, imported from their own files. The package's index also
 * loads, for their side effects, the models of every Adyen API (management, platforms, terminals, ...):
 * 47 MB of resident memory in each process that loads it, against 18 MB for these (measured on Node 20),
 * in the API and in every worker alike. The checkout service loads its own models; types stay on the index
 * (`import type` costs nothing at run time). A library upgrade that moves these files fails the build.
 */
export { default as Client } from '@adyen/api-library/lib/src/client';
export { EnvironmentEnum } from '@adyen/api-library/lib/src/config';
export { default as CheckoutAPI } from '@adyen/api-library/lib/src/services/checkout';
export { default as HttpURLConnectionClient } from '@adyen/api-library/lib/src/httpClient/httpURLConnectionClient';
export { default as hmacValidator } from '@adyen/api-library/lib/src/utils/hmacValidator';
