import { describe, expect, it } from 'vitest';
import { isLoopback, MetricsAddressError, parseListenAddress } from '../../src/metrics/server.js';

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.0.2.1', false],
    ['128.0.0.1', false],
    ['2001:db8::1', false],
    ['::ffff:192.0.2.1', false],
    ['::2', false],
    ['1::1', false],
    ['localhost', false],
  ])('%s → %s', (ip, loopback) => {
    expect(isLoopback(ip)).toBe(loopback);
  });
});

describe('parseListenAddress', () => {
  it('accepts loopback IPv4, IPv6 in brackets, localhost and port 0', () => {
    expect(parseListenAddress('127.0.0.1:9900')).toEqual({ host: '127.0.0.1', port: 9900, loopback: true });
    expect(parseListenAddress('[::1]:9900')).toEqual({ host: '::1', port: 9900, loopback: true });
    expect(parseListenAddress('localhost:80')).toEqual({ host: '127.0.0.1', port: 80, loopback: true });
    expect(parseListenAddress('LOCALHOST:0')).toEqual({ host: '127.0.0.1', port: 0, loopback: true });
    expect(parseListenAddress('127.1.2.3:65535').port).toBe(65535);
  });

  it('refuses non-loopback addresses unless allowed', () => {
    for (const text of ['0.0.0.0:9900', '[::]:9900', '192.0.2.10:9900', '[2001:db8::1]:9900']) {
      expect(() => parseListenAddress(text), text).toThrow(/not a loopback address/);
      expect(parseListenAddress(text, { allowNonLoopback: true }).loopback).toBe(false);
    }
  });

  it.each([
    ['9900', /not HOST:PORT/],
    [':9900', /not HOST:PORT/],
    ['127.0.0.1', /not HOST:PORT/],
    ['127.0.0.1:', /not HOST:PORT/],
    ['127.0.0.1:99999', /out of range/],
    ['127.0.0.1:-1', /not HOST:PORT/],
    ['::1:9900', /not HOST:PORT/],
    ['[127.0.0.1]:9900', /not an IPv6 address/],
    ['[fe80::zz]:9900', /not an IPv6 address/],
    ['example.org:9900', /not an IPv4 address or localhost/],
    ['256.1.1.1:9900', /not an IPv4 address/],
    ['127.0.0.1:99x', /not HOST:PORT/],
  ])('rejects %s', (text, message) => {
    expect(() => parseListenAddress(text, { allowNonLoopback: true })).toThrow(message);
    expect(() => parseListenAddress(text, { allowNonLoopback: true })).toThrow(MetricsAddressError);
  });
});
