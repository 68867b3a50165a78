// Stand-in for iconv-lite in the Lambda bundle (esbuild alias, see ../../bundling.ts). mysql2 only
// calls iconv-lite for character sets that Node's Buffer cannot handle itself: with our utf8mb4
// connection and table that is just 'cesu8', which mysql2 uses for MySQL's 3-byte utf8 (utf8mb3,
// e.g. in result metadata). The real library (~480 KB minified) would be dead weight.

interface Decoder {
  write(buffer: Buffer): string;
  end(): string | undefined;
}

interface Encoder {
  write(text: string): Buffer;
  end(): Buffer | undefined;
}

function unsupported(encoding: string): never {
  throw new Error(`character set '${encoding}' is not supported by this bundle: use utf8mb4`);
}

const isCesu8 = (encoding: string) => encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'cesu8';

/** CESU-8 is UTF-8 in which a character outside the BMP is two 3-byte encoded surrogates. */
export function decodeCesu8(buffer: Buffer): string {
  const utf8 = buffer.toString('utf8');
  if (!utf8.includes('\ufffd')) return utf8;
  let out = '';
  for (let i = 0; i < buffer.length;) {
    const b = buffer[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i += 1;
    } else if ((b & 0xe0) === 0xc0 && i + 1 < buffer.length) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (buffer[i + 1] & 0x3f));
      i += 2;
    } else if ((b & 0xf0) === 0xe0 && i + 2 < buffer.length) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((buffer[i + 1] & 0x3f) << 6) | (buffer[i + 2] & 0x3f));
      i += 3;
    } else {
      out += '\ufffd';
      i += 1;
    }
  }
  return out;
}

export function encodeCesu8(text: string): Buffer {
  if (!/[\ud800-\udfff]/.test(text)) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  // Per UTF-16 code unit: surrogates are encoded one by one, which is what makes it CESU-8.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(bytes);
}

export function getDecoder(encoding: string): Decoder {
  if (!isCesu8(encoding)) unsupported(encoding);
  return { write: decodeCesu8, end: () => undefined };
}

export function getEncoder(encoding: string): Encoder {
  if (!isCesu8(encoding)) unsupported(encoding);
  return { write: encodeCesu8, end: () => undefined };
}

export const decode = (buffer: Buffer, encoding: string): string => getDecoder(encoding).write(buffer);
export const encode = (text: string, encoding: string): Buffer => getEncoder(encoding).write(text);
export const encodingExists = (encoding: string): boolean => Buffer.isEncoding(encoding) || isCesu8(encoding);
