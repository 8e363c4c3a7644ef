import { describe, expect, it } from 'vitest';
import { bypassesProxy } from '../../../src/artifacts/no-proxy.ts';
import { hostProxyAssignments, proxyFor, showProxy } from '../../../src/artifacts/proxy-env.ts';
import { maskSecrets } from '../../../src/connection/trace.ts';

const bypass = (url: string, noProxy: string) => bypassesProxy(new URL(url), noProxy);

describe('NO_PROXY, by curl\'s rules', () => {
  it('matches a name and its subdomains, with or without a leading dot, and not a longer name', () => {
    for (const list of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com.']) {
      expect(bypass('https://example.com/a', list), list).toBe(true);
      expect(bypass('https://dl.example.com/a', list), list).toBe(true);
      expect(bypass('https://notexample.com/a', list), list).toBe(false);
    }
  });

  it('splits at commas and blanks; * alone exempts everything; empty exempts nothing', () => {
    expect(bypass('http://mirror.lan/x', 'localhost, 127.0.0.1 ,mirror.lan')).toBe(true);
    expect(bypass('http://mirror.lan/x', 'localhost 127.0.0.1')).toBe(false);
    expect(bypass('http://anything.example/x', '*')).toBe(true);
    expect(bypass('http://anything.example/x', '')).toBe(false);
    expect(bypass('http://anything.example/x', ' , ')).toBe(false);
  });

  it('matches IP hosts by address or CIDR, IPv4 and IPv6, and never by a name', () => {
    expect(bypass('http://10.213.0.1:8480/x', '10.213.0.0/24')).toBe(true);
    expect(bypass('http://10.214.0.1:8480/x', '10.213.0.0/24')).toBe(false);
    expect(bypass('http://10.213.0.1/x', '10.213.0.1')).toBe(true);
    expect(bypass('http://[fd00::5]/x', 'fd00::/8')).toBe(true);
    expect(bypass('http://[fd00::5]/x', '[fd00::5]')).toBe(true);
    expect(bypass('http://[fe80::5]/x', 'fd00::/8')).toBe(false);
    expect(bypass('http://10.213.0.1/x', 'example.com')).toBe(false);
    expect(bypass('http://10.213.0.1/x', '10.213.0.0/99')).toBe(false);
  });

  it('takes host:port as that port only, the scheme giving the default port', () => {
    expect(bypass('http://10.213.0.1:8480/x', '10.213.0.1:8480')).toBe(true);
    expect(bypass('http://10.213.0.1:8481/x', '10.213.0.1:8480')).toBe(false);
    expect(bypass('https://example.com/x', 'example.com:443')).toBe(true);
    expect(bypass('http://example.com/x', 'example.com:443')).toBe(false);
    expect(bypass('http://[fd00::5]:8080/x', '[fd00::5]:8080')).toBe(true);
  });
});

describe('the proxy of a download', () => {
  it('is https_proxy for https URLs and http_proxy for http ones, lower case first, with no fallback', () => {
    const env = { HTTPS_PROXY: 'http://secure-proxy:3128', http_proxy: 'http://plain-proxy:3128', HTTP_PROXY: 'http://ignored:1' };
    expect(proxyFor(new URL('https://github.com/x'), env)?.shown).toBe('http://secure-proxy:3128 (HTTPS_PROXY)');
    expect(proxyFor(new URL('http://mirror.lan/x'), env)?.shown).toBe('http://plain-proxy:3128 (http_proxy)');
    expect(proxyFor(new URL('https://github.com/x'), { HTTP_PROXY: 'http://plain-proxy:3128' })).toBeUndefined();
    expect(proxyFor(new URL('https://github.com/x'), {})).toBeUndefined();
  });

  it('is none where NO_PROXY covers the host, and takes a proxy without a scheme as http://', () => {
    const env = { HTTP_PROXY: '10.0.0.1:3128', NO_PROXY: '.lan' };
    expect(proxyFor(new URL('http://mirror.lan/x'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://mirror.example/x'), env)?.url.href).toBe('http://10.0.0.1:3128/');
  });

  it('never shows the proxy\'s password, and masks it in logs from then on', () => {
    const choice = proxyFor(new URL('http://mirror.example/x'), { HTTP_PROXY: 'http://ops:pr0xy%2Fsecret@proxy.corp:3128' })!;
    expect(choice.shown).toBe('http://ops:****@proxy.corp:3128 (HTTP_PROXY)');
    expect(choice.url.password).toBe('pr0xy%2Fsecret');
    expect(maskSecrets('curl -x http://ops:pr0xy%2Fsecret@proxy.corp:3128 and pr0xy/secret')).not.toMatch(/pr0xy/);
    expect(showProxy(new URL('http://proxy.corp:3128'))).toBe('http://proxy.corp:3128');
  });

  it('names the variable that is not a URL, without its value', () => {
    expect(() => proxyFor(new URL('http://mirror.example/x'), { HTTP_PROXY: 'http://[bad' })).toThrow(/^HTTP_PROXY is not a proxy URL/);
  });
});

describe('the proxy variables a host\'s download gets', () => {
  it('are the three proxy variables in both cases, quoted, and nothing else', () => {
    const env = { HTTPS_PROXY: 'http://10.213.0.1:3128', no_proxy: "localhost,it's", PATH: '/usr/bin', http_proxy: '' };
    expect(hostProxyAssignments(env)).toBe("https_proxy=http://10.213.0.1:3128 HTTPS_PROXY=http://10.213.0.1:3128 no_proxy='localhost,it'\\''s' NO_PROXY='localhost,it'\\''s'");
    expect(hostProxyAssignments({ PATH: '/usr/bin' })).toBe('');
  });

  it('registers a password in them as a secret', () => {
    hostProxyAssignments({ http_proxy: 'http://ops:host-side-s3cret@proxy.corp:3128' });
    expect(maskSecrets('x host-side-s3cret y')).toBe('x ******** y');
  });
});
