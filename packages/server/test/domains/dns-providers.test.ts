/**
 * Every DnsProvider: the real servers (pebble-challtestsrv, PowerDNS's HTTP
 * API, BIND with RFC 2136 + TSIG) are written through the provider and read
 * back with a resolver; Cloudflare and Route 53 cannot be reached, so a local
 * HTTP server checks each request against the providers' documented format.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsProvider } from '../../src/adapters/dns/dns-providers.js';
import { DnsResolver } from '../../src/adapters/dns/dns-resolver.js';
import { buildUpdate, encodeName, parseReply, txtRdata } from '../../src/adapters/dns/rfc2136/dns-update-message.js';
import { changeBatchXml } from '../../src/adapters/dns/route53/route53-provider.js';
import { signV4 } from '../../src/adapters/dns/route53/sigv4.js';
import { repoRoot } from '../support/lab.js';
import { LOOPBACK } from '../support/app.js';
import { ensurePebble, PEBBLE_DNS } from './support.js';

const DNS_DIR = process.env.DNS_DIR ?? '/tmp/devflow-dns';
const rand = () => Math.random().toString(36).slice(2, 10);

describe('challtestsrv provider', () => {
  beforeAll(async () => {
    await ensurePebble();
  });

  it('sets and clears TXT records that the mock DNS then serves', async () => {
    const p = createDnsProvider('challtestsrv', { config: { managementUrl: 'http://127.0.0.1:8055' }, credentials: {}, outbound: LOOPBACK });
    const name = `_acme-challenge.${rand()}.devflow.test`;
    const dns = new DnsResolver([PEBBLE_DNS]);
    await p.addTxt(name, 'value-one');
    expect(await dns.txt(name)).toEqual(['value-one']);
    await p.removeTxt(name, 'value-one');
    expect(await dns.txt(name)).toEqual([]);
  });
});

describe('real DNS servers (scripts/dns.sh)', () => {
  let apiKey: string;
  let tsig: string;

  beforeAll(() => {
    const r = spawnSync('bash', [path.join(repoRoot(), 'scripts', 'dns.sh')], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`scripts/dns.sh failed: ${r.stderr}`);
    apiKey = fs.readFileSync(path.join(DNS_DIR, 'pdns.api-key'), 'utf8').trim();
    tsig = fs.readFileSync(path.join(DNS_DIR, 'tsig.secret'), 'utf8').trim();
  });

  it('PowerDNS: adds values next to each other through the HTTP API and removes one', async () => {
    const p = createDnsProvider('powerdns', { config: { apiUrl: 'http://127.0.0.1:8181', zone: 'pdns.devflow.test' }, credentials: { apiKey }, outbound: LOOPBACK });
    const name = `_acme-challenge.${rand()}.pdns.devflow.test`;
    const dns = new DnsResolver(['127.0.0.1:8153']);
    await p.addTxt(name, 'first');
    await p.addTxt(name, 'second');
    await p.addTxt(name, 'second'); // idempotent
    expect((await dns.txt(name)).sort()).toEqual(['first', 'second']);
    await p.removeTxt(name, 'first');
    expect(await dns.txt(name)).toEqual(['second']);
    await p.removeTxt(name, 'second');
    await p.removeTxt(name, 'second'); // already gone: no error
    expect(await dns.txt(name)).toEqual([]);
  });

  it('PowerDNS: a wrong API key is an error naming the status', async () => {
    const p = createDnsProvider('powerdns', { config: { apiUrl: 'http://127.0.0.1:8181', zone: 'pdns.devflow.test' }, credentials: { apiKey: 'wrong' }, outbound: LOOPBACK });
    await expect(p.addTxt(`x.pdns.devflow.test`, 'v')).rejects.toMatchObject({ code: 'dns.provider_failed', message: expect.stringContaining('HTTP 401') });
  });

  it('RFC 2136: BIND accepts TSIG-signed updates that add and delete single values', async () => {
    const p = createDnsProvider('rfc2136', { config: { server: '127.0.0.1:8253', zone: 'rfc2136.devflow.test', keyName: 'devflow-tsig', algorithm: 'hmac-sha256' }, credentials: { tsigSecret: tsig }, outbound: LOOPBACK });
    const name = `_acme-challenge.${rand()}.rfc2136.devflow.test`;
    const dns = new DnsResolver(['127.0.0.1:8253']);
    const long = 'x'.repeat(300); // longer than one character-string
    await p.addTxt(name, 'alpha');
    await p.addTxt(name, long);
    expect((await dns.txt(name)).sort()).toEqual(['alpha', long]);
    await p.removeTxt(name, 'alpha');
    expect(await dns.txt(name)).toEqual([long]);
    await p.removeTxt(name, long);
    expect(await dns.txt(name)).toEqual([]);
  });

  it('RFC 2136: a wrong TSIG secret is refused by the server (BADSIG)', async () => {
    const p = createDnsProvider('rfc2136', { config: { server: '127.0.0.1:8253', zone: 'rfc2136.devflow.test', keyName: 'devflow-tsig' }, credentials: { tsigSecret: Buffer.alloc(32, 7).toString('base64') }, outbound: LOOPBACK });
    await expect(p.addTxt(`x.rfc2136.devflow.test`, 'v')).rejects.toMatchObject({ code: 'dns.provider_failed', message: expect.stringMatching(/BADSIG|NOTAUTH/) });
  });
});

describe('RFC 2136 message encoding', () => {
  it('encodes names, character-strings and a TSIG record at the end', () => {
    expect(encodeName('Ab.example.')).toEqual(Buffer.from([2, 0x61, 0x62, 7, ...Buffer.from('example'), 0]));
    expect(txtRdata('hi')).toEqual(Buffer.from([2, 0x68, 0x69]));
    const rd = txtRdata('y'.repeat(256));
    expect(rd[0]).toBe(255);
    expect(rd[256]).toBe(1);
    const { id, message } = buildUpdate('example.test', [{ op: 'add', name: 'a.example.test', value: 'v', ttl: 60 }], { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.alloc(32).toString('base64') }, 1_700_000_000, 4242);
    expect(id).toBe(4242);
    expect(message.readUInt16BE(2) >> 11).toBe(5); // opcode UPDATE
    expect([message.readUInt16BE(4), message.readUInt16BE(6), message.readUInt16BE(8), message.readUInt16BE(10)]).toEqual([1, 0, 1, 1]);
    expect(message.includes(encodeName('hmac-sha256'))).toBe(true);
    expect(parseReply(Buffer.from([0x10, 0x92, 0xa8, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]))).toEqual({ id: 4242, rcode: 5, rcodeName: 'REFUSED' });
  });
});

/** A local HTTP server that records requests and answers with `respond`. */
async function mockServer(respond: (req: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }) => { status: number; body: string; type?: string }) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      const out = respond(r);
      res.writeHead(out.status, { 'content-type': out.type ?? 'application/json' }).end(out.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Cloudflare provider (documented v4 API, mock server)', () => {
  let mock: Awaited<ReturnType<typeof mockServer>>;
  beforeAll(async () => {
    mock = await mockServer((r) => {
      if (r.method === 'POST') return { status: 200, body: JSON.stringify({ success: true, errors: [], messages: [], result: { id: 'rec123', ...JSON.parse(r.body) } }) };
      if (r.method === 'GET') return { status: 200, body: JSON.stringify({ success: true, errors: [], result: [{ id: 'rec123', name: '_acme-challenge.example.com', content: 'token-value' }] }) };
      if (r.method === 'DELETE') return { status: 200, body: JSON.stringify({ success: true, errors: [], result: { id: 'rec123' } }) };
      return { status: 405, body: '{}' };
    });
  });
  afterAll(async () => mock?.close());

  it('creates the TXT record with POST /zones/{zone_id}/dns_records and a Bearer token', async () => {
    const p = createDnsProvider('cloudflare', { config: { zoneId: 'zone-42', apiUrl: `${mock.base}/client/v4` }, credentials: { apiToken: 'cf-secret-token' }, outbound: LOOPBACK });
    await p.addTxt('_acme-challenge.example.com', 'token-value');
    const post = mock.seen[0];
    expect(post).toMatchObject({ method: 'POST', url: '/client/v4/zones/zone-42/dns_records' });
    expect(post?.headers.authorization).toBe('Bearer cf-secret-token');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post?.body ?? '')).toEqual({ type: 'TXT', name: '_acme-challenge.example.com', content: 'token-value', ttl: 60 });
  });

  it('deletes by looking the record up (type, name, content) and DELETE /dns_records/{id}', async () => {
    mock.seen.length = 0;
    const p = createDnsProvider('cloudflare', { config: { zoneId: 'zone-42', apiUrl: `${mock.base}/client/v4` }, credentials: { apiToken: 'cf-secret-token' }, outbound: LOOPBACK });
    await p.removeTxt('_acme-challenge.example.com', 'token-value');
    expect(mock.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /client/v4/zones/zone-42/dns_records?type=TXT&name=_acme-challenge.example.com&content=token-value',
      'DELETE /client/v4/zones/zone-42/dns_records/rec123',
    ]);
    expect(mock.seen.every((r) => r.headers.authorization === 'Bearer cf-secret-token')).toBe(true);
  });

  it('reports an API error with its code', async () => {
    const bad = await mockServer(() => ({ status: 403, body: JSON.stringify({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] }) }));
    try {
      const p = createDnsProvider('cloudflare', { config: { zoneId: 'z', apiUrl: `${bad.base}/client/v4` }, credentials: { apiToken: 't' }, outbound: LOOPBACK });
      await expect(p.addTxt('a.example.com', 'v')).rejects.toMatchObject({ code: 'dns.provider_failed', message: expect.stringContaining('Authentication error') });
    } finally {
      await bad.close();
    }
  });
});

describe('Route 53 provider (ChangeResourceRecordSets, SigV4, mock server)', () => {
  it('signs with AWS Signature Version 4 as AWS documents it (S3 GET Object example)', () => {
    const headers = signV4(
      {
        method: 'GET',
        url: 'https://examplebucket.s3.amazonaws.com/test.txt',
        headers: { Range: 'bytes=0-9', 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
        body: '',
      },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      'us-east-1',
      's3',
      new Date('2013-05-24T00:00:00Z'),
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('POSTs the documented XML to /2013-04-01/hostedzone/{Id}/rrset/ with a SigV4 Authorization header', async () => {
    const mock = await mockServer(() => ({ status: 200, type: 'text/xml', body: '<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>' }));
    try {
      const at = Date.parse('2026-01-02T03:04:05Z');
      const p = createDnsProvider('route53', { config: { hostedZoneId: '/hostedzone/Z0123EXAMPLE', endpoint: mock.base }, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret/key' }, outbound: LOOPBACK }, () => at);
      await p.addTxt('_acme-challenge.example.com', 'tok"en');
      await p.removeTxt('_acme-challenge.example.com', 'tok"en');
      const [up, del] = mock.seen;
      expect(up).toMatchObject({ method: 'POST', url: '/2013-04-01/hostedzone/Z0123EXAMPLE/rrset/' });
      expect(up?.headers['content-type']).toBe('text/xml');
      expect(up?.headers['x-amz-date']).toBe('20260102T030405Z');
      expect(up?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/20260102\/us-east-1\/route53\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
      // The signature covers exactly the bytes sent (the signer itself is checked against AWS's example above).
      const expected = signV4({ method: 'POST', url: `${mock.base}/2013-04-01/hostedzone/Z0123EXAMPLE/rrset/`, headers: { 'content-type': 'text/xml' }, body: up?.body ?? '' }, { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret/key' }, 'us-east-1', 'route53', new Date(at));
      expect(up?.headers.authorization).toBe(expected.authorization);
      expect(up?.body).toBe(
        '<?xml version="1.0" encoding="UTF-8"?>' +
          '<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch>' +
          '<Comment>DevFlow ACME DNS-01 challenge</Comment><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>' +
          '<Name>_acme-challenge.example.com.</Name><Type>TXT</Type><TTL>60</TTL>' +
          '<ResourceRecords><ResourceRecord><Value>"tok\\"en"</Value></ResourceRecord></ResourceRecords>' +
          '</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>',
      );
      expect(del?.body).toBe(changeBatchXml('DELETE', '_acme-challenge.example.com', 'tok"en', 60));
      expect(del?.body).toContain('<Action>DELETE</Action>');
    } finally {
      await mock.close();
    }
  });
});
