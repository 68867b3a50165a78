// A fake of the CloudFront Functions runtime's `cloudfront` module, and a loader that runs a function file's
// code against it in Node. What it models and what it does not: fake-cloudfront.md next to this file.

/** The properties AWS documents for updateRequestOrigin(); anything else is refused (stricter than the runtime). */
export const UPDATE_REQUEST_ORIGIN_PROPERTIES = [
  'domainName',
  'originPath',
  'customHeaders',
  'connectionAttempts',
  'originShield',
  'originAccessControlConfig',
  'timeouts',
  'customOriginConfig',
] as const;

export interface FakeCloudFrontOptions {
  /**
   * The associated KeyValueStore's content.
   * @default - an empty store
   */
  readonly store?: Readonly<Record<string, string>>;
  /**
   * false: no store is associated with the function (cf.kvs() throws).
   * @default true
   */
  readonly associated?: boolean;
  /**
   * The associated store's id, checked against cf.kvs(id).
   * @default 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'
   */
  readonly storeId?: string;
  /**
   * Every read of the store rejects with this error (a KeyValueStore failure at the edge).
   * @default - reads succeed
   */
  readonly storeError?: Error;
}

export interface KvsHandle {
  get(key: string, options?: { format?: 'string' | 'json' | 'bytes' }): Promise<unknown>;
  exists(key: string): Promise<boolean>;
  meta(): Promise<{ creationDateTime: string; lastUpdatedDateTime: string; keyCount: number }>;
}

export interface FakeCloudFront {
  /** What the function code sees as `cf`. */
  readonly module: {
    kvs(kvsId?: string): KvsHandle;
    updateRequestOrigin(props: Record<string, unknown>): void;
    selectRequestOriginById(originId: string): void;
  };
  /** Every updateRequestOrigin() argument, in order. */
  readonly originUpdates: Record<string, unknown>[];
  /** Every selectRequestOriginById() argument, in order. */
  readonly originSelections: string[];
  /** Keys read with get() or exists(), in order. */
  readonly reads: string[];
}

const CREATED = '2026-11-01T00:00:00.000Z';

export function fakeCloudFront(options: FakeCloudFrontOptions = {}): FakeCloudFront {
  const store = new Map(Object.entries(options.store ?? {}));
  const storeId = options.storeId ?? 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
  const originUpdates: Record<string, unknown>[] = [];
  const originSelections: string[] = [];
  const reads: string[] = [];
  const failing = <T>(): Promise<T> | undefined => (options.storeError ? Promise.reject(options.storeError) : undefined);

  const handle: KvsHandle = {
    get(key, getOptions) {
      reads.push(key);
      const failure = failing<unknown>();
      if (failure) return failure;
      const value = store.get(key);
      if (value === undefined) return Promise.reject(new Error(`KeyNotFound: ${key}`));
      const format = getOptions?.format ?? 'string';
      if (format === 'json') return Promise.resolve(JSON.parse(value));
      if (format === 'bytes') return Promise.resolve(Buffer.from(value, 'utf8'));
      return Promise.resolve(value);
    },
    exists(key) {
      reads.push(key);
      return failing<boolean>() ?? Promise.resolve(store.has(key));
    },
    meta() {
      return failing<never>() ?? Promise.resolve({ creationDateTime: CREATED, lastUpdatedDateTime: CREATED, keyCount: store.size });
    },
  };

  return {
    module: {
      kvs(kvsId) {
        if (options.associated === false) throw new Error('KVSNamespaceNotFound: no key value store is associated with this function');
        if (kvsId !== undefined && kvsId !== storeId) throw new Error(`KVSNamespaceNotFound: ${kvsId} is not the associated store`);
        return handle;
      },
      updateRequestOrigin(props) {
        const unknown = Object.keys(props).filter((key) => !(UPDATE_REQUEST_ORIGIN_PROPERTIES as readonly string[]).includes(key));
        if (unknown.length > 0) throw new TypeError(`updateRequestOrigin: unknown properties ${unknown.join(', ')}`);
        if ('domainName' in props && (typeof props.domainName !== 'string' || props.domainName === '')) {
          throw new TypeError('updateRequestOrigin: domainName must be a non-empty string');
        }
        originUpdates.push(structuredClone(props));
      },
      selectRequestOriginById(originId) {
        originSelections.push(originId);
      },
    },
    originUpdates,
    originSelections,
    reads,
  };
}

/** The viewer-request event CloudFront hands a function (the fields this app's function can see). */
export interface ViewerRequestEvent {
  readonly version: '1.0';
  readonly context: { readonly eventType: 'viewer-request'; readonly distributionId: string; readonly requestId: string };
  readonly viewer: { readonly ip: string };
  readonly request: {
    method: string;
    uri: string;
    querystring: Record<string, { value: string }>;
    headers: Record<string, { value: string }>;
    cookies: Record<string, { value: string }>;
  };
}

export type ViewerRequestHandler = (event: ViewerRequestEvent) => Promise<unknown>;

const IMPORT_LINE = "import cf from 'cloudfront';";

/**
 * Runs a CloudFront Function's code in Node with `cf` and `console` supplied. The file must begin with the
 * documented `import cf from 'cloudfront';` (a function cannot import anything else) and define `handler`.
 */
export function loadViewerRequestFunction(code: string, cf: FakeCloudFront['module'], log: (line: string) => void = () => {}) {
  const [first, ...rest] = code.split('\n');
  if (first !== IMPORT_LINE) throw new Error(`the function must start with ${IMPORT_LINE} (it starts with ${first})`);
  const console = { log: (...args: unknown[]) => log(args.map(String).join(' ')) };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: the deployed source, evaluated as the runtime would.
  const factory = new Function('cf', 'console', `'use strict';\n${rest.join('\n')}\nreturn handler;`) as (
    cf: FakeCloudFront['module'],
    console: { log: (...args: unknown[]) => void },
  ) => ViewerRequestHandler;
  return factory(cf, console);
}

export function viewerRequest(overrides: Partial<ViewerRequestEvent['request']> = {}): ViewerRequestEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'E2EXAMPLE123', requestId: 'req-1' },
    viewer: { ip: '198.51.100.7' },
    request: {
      method: 'POST',
      uri: '/v1',
      querystring: { id: { value: '1' } },
      headers: {
        host: { value: 'd111111abcdef8.cloudfront.net' },
        authorization: { value: 'eyJraWQiOi.token' },
        'content-type': { value: 'application/json' },
      },
      cookies: {},
      ...overrides,
    },
  };
}
