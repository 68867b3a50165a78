// The bundle's iconv-lite stand-in must agree with the real library on the one charset mysql2 needs.
import * as iconv from 'iconv-lite';
import { decodeCesu8, encodeCesu8, getDecoder, getEncoder } from '#lambda/shims/iconv-lite';

const samples = ['', 'plain ascii', 'Grüße', 'Hangul 한국어 \ud7a3', '漢字', '🎉 emoji 👩‍👩‍👧', 'mixed é 🎉 x', '\u0000nul', '\uffff'];

test.each(samples)('cesu8 round trip of %j matches iconv-lite', (text) => {
  const reference = iconv.encode(text, 'cesu8');
  expect(encodeCesu8(text)).toEqual(reference);
  expect(decodeCesu8(reference)).toBe(iconv.decode(reference, 'cesu8'));
  expect(getDecoder('CESU-8').write(getEncoder('cesu8').write(text))).toBe(text);
});

test('BMP UTF-8 decodes the same as iconv-lite; 4-byte UTF-8 (never in utf8mb3 data) is kept, not replaced', () => {
  const bmp = Buffer.from('日本語 ü', 'utf8');
  expect(decodeCesu8(bmp)).toBe(iconv.decode(bmp, 'cesu8'));
  expect(decodeCesu8(Buffer.from('x 🎉', 'utf8'))).toBe('x 🎉');
});

test('other charsets fail loudly instead of returning garbage', () => {
  expect(() => getDecoder('cp1251')).toThrow("character set 'cp1251' is not supported by this bundle: use utf8mb4");
  expect(() => getEncoder('big5')).toThrow('not supported');
});
