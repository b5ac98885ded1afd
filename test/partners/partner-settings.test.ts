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
});
