// The fake `cloudfront` module keeps the promises fake-cloudfront.md makes, so that the function's tests
// rest on the documented runtime, not on the fake's accidents.
import { fakeCloudFront, loadViewerRequestFunction, viewerRequest } from './fake-cloudfront';

describe('cf.kvs(): the associated store', () => {
  test('get() resolves a present key as a string, or as json / bytes on request', async () => {
    const cf = fakeCloudFront({ store: { plain: 'a.b', doc: '{"n":1}' } }).module;
    await expect(cf.kvs().get('plain')).resolves.toBe('a.b');
    await expect(cf.kvs().get('doc', { format: 'json' })).resolves.toEqual({ n: 1 });
    await expect(cf.kvs().get('plain', { format: 'bytes' })).resolves.toEqual(Buffer.from('a.b'));
  });

  test('get() rejects for an absent key; exists() tells without rejecting; meta() counts keys', async () => {
    const fake = fakeCloudFront({ store: { one: '1' } });
    await expect(fake.module.kvs().get('missing')).rejects.toThrow(/KeyNotFound/);
    await expect(fake.module.kvs().exists('missing')).resolves.toBe(false);
    await expect(fake.module.kvs().exists('one')).resolves.toBe(true);
    await expect(fake.module.kvs().meta()).resolves.toMatchObject({ keyCount: 1 });
    expect(fake.reads).toEqual(['missing', 'missing', 'one']);
  });

  test('an injected store error rejects every read', async () => {
    const cf = fakeCloudFront({ store: { one: '1' }, storeError: new Error('edge store unavailable') }).module;
    await expect(cf.kvs().get('one')).rejects.toThrow('edge store unavailable');
    await expect(cf.kvs().exists('one')).rejects.toThrow('edge store unavailable');
    await expect(cf.kvs().meta()).rejects.toThrow('edge store unavailable');
  });

  test('without an associated store, or with another store id, kvs() throws', () => {
    expect(() => fakeCloudFront({ associated: false }).module.kvs()).toThrow(/KVSNamespaceNotFound/);
    expect(() => fakeCloudFront({ storeId: 'mine' }).module.kvs('other')).toThrow(/KVSNamespaceNotFound/);
    expect(() => fakeCloudFront({ storeId: 'mine' }).module.kvs('mine')).not.toThrow();
  });
});

describe('cf.updateRequestOrigin() / selectRequestOriginById()', () => {
  test('records documented properties, refuses unknown ones and an empty host', () => {
    const fake = fakeCloudFront();
    fake.module.updateRequestOrigin({ domainName: 'x.example.com', timeouts: { readTimeout: 30 } });
    expect(fake.originUpdates).toEqual([{ domainName: 'x.example.com', timeouts: { readTimeout: 30 } }]);
    expect(() => fake.module.updateRequestOrigin({ hostname: 'x' })).toThrow(/unknown properties hostname/);
    expect(() => fake.module.updateRequestOrigin({ domainName: '' })).toThrow(TypeError);
    expect(() => fake.module.updateRequestOrigin({ domainName: 42 })).toThrow(TypeError);
    expect(fake.originUpdates).toHaveLength(1);
  });

  test('records origin selections by id', () => {
    const fake = fakeCloudFront();
    fake.module.selectRequestOriginById('ToDoMgmtApi');
    expect(fake.originSelections).toEqual(['ToDoMgmtApi']);
  });
});

describe('loadViewerRequestFunction()', () => {
  const code = [
    "import cf from 'cloudfront';",
    'async function handler(event) {',
    "  console.log('seen', event.request.uri);",
    "  cf.updateRequestOrigin({ domainName: await cf.kvs().get('k') });",
    '  return event.request;',
    '}',
  ].join('\n');

  test('runs the handler with the fake as cf and a captured console', async () => {
    const fake = fakeCloudFront({ store: { k: 'h.example.com' } });
    const lines: string[] = [];
    const event = viewerRequest();
    await expect(loadViewerRequestFunction(code, fake.module, (line) => lines.push(line))(event)).resolves.toBe(event.request);
    expect(fake.originUpdates).toEqual([{ domainName: 'h.example.com' }]);
    expect(lines).toEqual(['seen /v1']);
  });

  test('refuses code that does not start with the documented import', () => {
    expect(() => loadViewerRequestFunction('async function handler(e) { return e.request; }', fakeCloudFront().module)).toThrow(
      /must start with import cf from 'cloudfront'/,
    );
  });
});
