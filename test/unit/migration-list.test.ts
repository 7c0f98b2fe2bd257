import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, MIGRATION_NAMES } from '../../src/db/migrations';

const FOLDER = path.resolve(__dirname, '../../src/db/migrations');

describe('the migration list', () => {
  it('when the folder holds a migration, then the list names it, in order, and its class loads under that name', async () => {
    const files = fs
      .readdirSync(FOLDER)
      .filter((file) => /^Migration\d{14}\w+\.ts$/.test(file))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    // A migration left out of the list would never run; one listed out of order would run before what it builds on.
    expect([...MIGRATION_NAMES]).toEqual(files);
    for (const { name, class: migration } of await loadMigrations()) expect(migration?.name, name).toBe(name);
  });
});
