import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PERMISSIONS } from '../plugin/http/admin-auth.js';
import { MANIFEST_FILE, manifestText, packageRoot } from '../scripts/build-manifest.js';

describe('plugin.manifest.json', () => {
  const root = packageRoot();
  const committed = readFileSync(join(root, MANIFEST_FILE), 'utf8');
  const manifest = JSON.parse(committed) as Record<string, unknown>;

  it('is exactly what scripts/write-manifest.ts generates (run node dist/scripts/write-manifest.js)', () => {
    expect(committed).to.equal(manifestText(root));
  });

  it('carries the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.version).to.equal(pkg.version);
  });

  it('names the entry, its export, the mount path and the migrations', async () => {
    expect(manifest).to.include({ id: 'crm-webhooks', entry: 'dist/plugin/index.js', export: 'createWebhooksPlugin', mountPath: '/plugins/webhooks' });
    expect(manifest.migrations).to.include({ directory: 'dist/migrations', tableName: 'webhook_migrations' });
    const entry = (await import(join(root, manifest.entry as string))) as Record<string, unknown>;
    expect(entry[manifest.export as string]).to.be.a('function');
  });

  it('points at a folder holding only migrations, each with up and down, as a host migrator expects', async () => {
    const folder = join(root, (manifest.migrations as { directory: string }).directory);
    const files = readdirSync(folder).filter((f) => f.endsWith('.js'));
    expect(files).to.have.length.greaterThan(0);
    for (const file of files) {
      const migration = (await import(join(folder, file))) as Record<string, unknown>;
      expect(migration.up, file).to.be.a('function');
      expect(migration.down, file).to.be.a('function');
    }
  });

  it('lists every permission the admin routes ask authorize for', () => {
    const names = (manifest.permissions as Array<{ name: string }>).map((p) => p.name);
    expect(names).to.have.members(Object.values(ADMIN_PERMISSIONS));
  });

  it('describes the options as a JSON Schema that refuses unknown keys', () => {
    const schema = manifest.optionsSchema as { type: string; additionalProperties: unknown; properties: Record<string, unknown> };
    expect(schema.type).to.equal('object');
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.properties).to.include.keys('receive', 'processing', 'retention', 'health', 'alerts');
  });

  it('lists the environment variables it reads', () => {
    expect((manifest.env as Array<{ name: string }>).map((e) => e.name)).to.include.members(['DATABASE_URL', 'WEBHOOKS_SECRET_KEY']);
  });
});
