/**
 * The segment-name character set is exactly the one of AWS's published segment document schema
 * (checked code point by code point against the schema's own pattern when the shared reference
 * copy is present), and sanitising keeps only those characters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNameCodeUnit } from './name-chars.js';
import { sanitizeSegmentName } from './names.js';

const REFERENCE_SCHEMA = '/work/shared/reference/xray/schema/xray-segmentdocument-schema-v1.0.0.json';

describe('segment name characters', () => {
  it.skipIf(!existsSync(REFERENCE_SCHEMA))('equal the name pattern of AWS’s published schema for every BMP code unit', () => {
    const pattern: string = JSON.parse(readFileSync(REFERENCE_SCHEMA, 'utf8')).properties.name.pattern;
    const one = new RegExp(pattern.replace('{1,200}', ''));
    const differ: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const schema = c >= 0xd800 && c <= 0xdfff ? false : one.test(String.fromCharCode(c));
      if (schema !== isNameCodeUnit(c)) differ.push(c.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it.each([
    ['ASCII letters, digits and the listed symbols', 'aZ09 _.:/%&#=+-@', true],
    ['Latin-1, Greek, Cyrillic, CJK, Hangul letters', 'éßΩЖ日本한', true],
    ['separators: no-break space, ideographic space', '\u00a0\u3000', true],
    ['Mongolian U+1885, a letter in Unicode 8 (a mark today)', '\u1885', true],
    ['Arabic U+08B6, a letter added in Unicode 9', '\u08b6', false],
    ['CJK U+9FD6, added in Unicode 10', '\u9fd6', false],
    ['combining acute accent U+0301 (a mark)', '\u0301', false],
    ['symbols X-Ray refuses', '|?*<>"\\$,;!()[]{}~^`\'', false],
    ['control characters', '\n\t\u0000\u007f', false],
    ['surrogates (every character outside the BMP)', '\ud835\udc9c', false],
  ])('%s', (_n, chars, allowed) => {
    for (let i = 0; i < chars.length; i++) expect(isNameCodeUnit(chars.charCodeAt(i)), `U+${chars.charCodeAt(i).toString(16)}`).toBe(allowed);
  });
});

describe('sanitizeSegmentName', () => {
  it.each([
    ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local'],
    ['GET /api?x=1|y*', 'GET /apix=1y'],
    ['café\u0301 𝒜pp 😀', 'café pp'],
    ['  padded  ', 'padded'],
    ['***', 'span'],
    ['', 'span'],
    ['日'.repeat(250), '日'.repeat(200)],
    ['a'.repeat(199) + '\u08b6' + 'bc', 'a'.repeat(199) + 'b'],
  ])('%j → %j', (name, expected) => {
    expect(sanitizeSegmentName(name)).toBe(expected);
    expect(sanitizeSegmentName(name)).toBe(expected); // memoised answer is the same
  });
});
