import { describe, expect, it } from 'vitest';
import * as api from '../src/requests.ts';

describe('request builders', () => {
  it('puts the whole listing query in the URL, skipping what is not set, encoded', () => {
    const req = api.listProducts({ q: 'blue mug', category: 'kitchen', minPrice: 100, maxPrice: 2500, sort: '-price', page: 3, pageSize: 20 });
    expect(req).toEqual({ method: 'GET', path: '/catalog/products?q=blue%20mug&category=kitchen&minPrice=100&maxPrice=2500&sort=-price&page=3&pageSize=20', headers: { accept: 'application/json' } });
    expect(api.listProducts({ sort: 'name' }).path).toBe('/catalog/products?sort=name');
    expect(api.listProducts().path).toBe('/catalog/products');
  });

  it('adds with a bearer token, the Idempotency-Key and the exact JSON body', () => {
    const req = api.addItem('t0k', { productId: 'sku-00042', quantity: 2 }, 'key-12345678');
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/cart/items');
    expect(req.headers).toMatchObject({ authorization: 'Bearer t0k', 'idempotency-key': 'key-12345678', 'content-type': 'application/json' });
    expect(req.body).toBe('{"productId":"sku-00042","quantity":2}');
  });

  it('edits with If-Match (and a key when given); DELETE has no body', () => {
    const set = api.setItemQuantity('t', 'sku-1', 4, '"v7"', 'k-00000001');
    expect(set).toMatchObject({ method: 'PATCH', path: '/cart/items/sku-1', body: '{"quantity":4}' });
    expect(set.headers).toMatchObject({ 'if-match': '"v7"', 'idempotency-key': 'k-00000001' });
    const del = api.removeItem('t', 'sku-1', '"v8"');
    expect(del).toMatchObject({ method: 'DELETE', path: '/cart/items/sku-1' });
    expect(del.body).toBeUndefined();
    expect(del.headers['if-match']).toBe('"v8"');
    expect(del.headers['idempotency-key']).toBeUndefined();
  });

  it('checks out with a key, lists orders with a limit, reads one order', () => {
    expect(api.checkout('t', 'k-00000002')).toMatchObject({ method: 'POST', path: '/cart/checkout', body: '{}' });
    expect(api.listOrders('t', 100).path).toBe('/cart/orders?limit=100');
    expect(api.listOrders('t').path).toBe('/cart/orders');
    expect(api.getOrder('t', 'a/b').path).toBe('/cart/orders/a%2Fb');
  });

  it('logs in with tokens by default and with a cookie on request; /me with either credential', () => {
    expect(api.login('a@b.test', 'password1').body).toBe('{"email":"a@b.test","password":"password1"}');
    expect(api.login('a@b.test', 'password1', 'cookie').body).toBe('{"email":"a@b.test","password":"password1","mode":"cookie"}');
    expect(api.me({ accessToken: 'x' }).headers.authorization).toBe('Bearer x');
    expect(api.me({ sessionCookie: 'anypod_session=abc' }).headers.cookie).toBe('anypod_session=abc');
    expect(api.register('a@b.test', 'password1')).toMatchObject({ method: 'POST', path: '/auth/register' });
    expect(api.refresh('r')).toMatchObject({ method: 'POST', path: '/auth/refresh', body: '{"refreshToken":"r"}' });
  });

  it('gives the password-hashing calls a longer time bound than the client default', () => {
    expect(api.login('a@b.test', 'password1').timeoutMs).toBe(api.PASSWORD_HASHING_TIMEOUT_MS);
    expect(api.register('a@b.test', 'password1').timeoutMs).toBe(api.PASSWORD_HASHING_TIMEOUT_MS);
    expect(api.getCart('t').timeoutMs).toBeUndefined();
  });

  it('reads a cookie out of Set-Cookie, including when several are joined and attributes hold commas', () => {
    const headers = { 'set-cookie': 'other=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, anypod_session=s3cr3t; Path=/; HttpOnly; Secure' };
    expect(api.cookieFrom({ status: 200, headers, body: '' }, 'anypod_session')).toBe('anypod_session=s3cr3t');
    expect(api.cookieFrom({ status: 200, headers, body: '' }, 'other')).toBe('other=1');
    expect(api.cookieFrom({ status: 200, headers: {}, body: '' }, 'anypod_session')).toBeUndefined();
  });

  it('parses JSON bodies and tolerates what is not JSON (an nginx error page)', () => {
    expect(api.parseJson({ status: 200, headers: {}, body: '{"a":1}' })).toEqual({ a: 1 });
    expect(api.parseJson({ status: 502, headers: {}, body: '<html>bad gateway</html>' })).toBeUndefined();
    expect(api.parseJson({ status: 204, headers: {}, body: '' })).toBeUndefined();
  });
});
