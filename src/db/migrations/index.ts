import { Migration20261121000000Initial } from './Migration20261121000000Initial';
import { Migration20261121010000RefundsDisputes } from './Migration20261121010000RefundsDisputes';

/** Every migration, in order. Listed explicitly so no file globbing depends on how the code is run. */
export const migrations = [
  { name: 'Migration20261121000000Initial', class: Migration20261121000000Initial },
  { name: 'Migration20261121010000RefundsDisputes', class: Migration20261121010000RefundsDisputes },
];
