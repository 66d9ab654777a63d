import { describe, expect, it } from 'vitest';
import { eventSubject } from './event-visibility.js';

describe('eventSubject', () => {
  it('names the most specific resource of the payload with the read action of the event family', () => {
    expect(eventSubject('deployment.log', { deploymentId: 'dep_1', environmentId: 'env_1', lines: [] })).toEqual({ action: 'deployment.read', resource: { type: 'deployment', id: 'dep_1' } });
    expect(eventSubject('certificate.renewal_failed', { domainId: 'dom_1', environmentId: 'env_1' })).toEqual({ action: 'certificate.read', resource: { type: 'environment', id: 'env_1' } });
    expect(eventSubject('server.provision.log', { serverId: 'srv_1', runId: 'prv_1' })).toEqual({ action: 'server.read', resource: { type: 'server', id: 'srv_1' } });
  });

  it('denies by default: an unknown family has no reader, and a payload without an id names no resource', () => {
    expect(eventSubject('monitor.down', { monitorId: 'mon_1' })).toBeUndefined();
    expect(eventSubject('', null)).toBeUndefined();
    expect(eventSubject('environment.maintenance', { enabled: true })).toEqual({ action: 'environment.read', resource: undefined });
    expect(eventSubject('deployment.log', { deploymentId: 42 })).toEqual({ action: 'deployment.read', resource: undefined });
  });
});
