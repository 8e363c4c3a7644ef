import { describe, expect, it } from 'vitest';
import { expandProxyCommand } from '../../../src/connection/proxy-command.ts';

describe('ProxyCommand tokens', () => {
  const target = { host: '10.0.0.5', port: 2222, user: 'deploy' };

  it('expands %h, %p, %r and %% as ssh does', () => {
    expect(expandProxyCommand('ssh -W %h:%p -l %r bastion # 100%%', target)).toBe('ssh -W 10.0.0.5:2222 -l deploy bastion # 100%');
  });

  it('refuses a token it does not know instead of passing it on', () => {
    expect(() => expandProxyCommand('connect %n %p', target)).toThrow('ssh_config ProxyCommand "connect %n %p" uses the token %n, which fleet does not expand (it knows %h, %p, %r and %%)');
  });
});
