import { expect } from 'chai';
import { partnerSettingsSchema, readPartnerSettings } from '../../plugin/partners/partner-settings.js';

describe('partner settings', () => {
  it('accepts id and type locations in header:<name> or body:<path> form', () => {
    const parsed = partnerSettingsSchema.safeParse({ idFrom: 'body:data.object.id', typeFrom: 'header:x-event-name' });
    expect(parsed.success).to.equal(true);
  });

  it('refuses a location that is neither, naming the problem', () => {
    const parsed = partnerSettingsSchema.safeParse({ idFrom: 'data.id' });
    expect(parsed.success).to.equal(false);
    expect(parsed.error!.issues[0]!.message).to.match(/invalid location "data\.id"/);
  });

  it('refuses an allowlist entry that is not an address or CIDR, rather than silently locking the partner out', () => {
    expect(partnerSettingsSchema.safeParse({ allowIps: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] }).success).to.equal(true);
    const parsed = partnerSettingsSchema.safeParse({ allowIps: ['10.0.0.0/33'] });
    expect(parsed.success).to.equal(false);
    expect(parsed.error!.issues[0]!.message).to.include('10.0.0.0/33');
  });

  it('reads hand-edited nonsense as no settings, with the problem reported', () => {
    expect(readPartnerSettings('{"rateLimit": "fast"}')).to.deep.include({ settings: {} });
    expect(readPartnerSettings('not json').problem).to.equal('not valid JSON');
  });

  it('takes a preset by name, a public URL and preset settings, and refuses an unknown preset or a non-http URL', () => {
    expect(partnerSettingsSchema.safeParse({ preset: 'twilio', publicUrl: 'https://crm.example/hooks?x=1', presetSettings: { organizationId: '00D' } }).success).to.equal(true);
    const unknown = partnerSettingsSchema.safeParse({ preset: 'nope' });
    expect(unknown.error!.issues[0]!.message).to.match(/^unknown preset; expected one of shopify, slack/);
    expect(partnerSettingsSchema.safeParse({ publicUrl: 'ftp://crm.example/x' }).success).to.equal(false);
    expect(partnerSettingsSchema.safeParse({ presetSettings: { 'bad name': 'x' } }).success).to.equal(false);
  });

  it('validates a stored signature spec and explains a bad one on one line', () => {
    const good = { signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'] };
    expect(partnerSettingsSchema.safeParse({ signatureSpec: good }).success).to.equal(true);
    const parsed = partnerSettingsSchema.safeParse({ signatureSpec: { ...good, encoding: 'base32' } });
    expect(parsed.error!.issues[0]!.message).to.match(/^invalid signature spec: encoding: /).and.not.include('\n');
  });
});
