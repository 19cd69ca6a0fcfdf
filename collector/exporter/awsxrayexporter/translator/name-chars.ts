/**
 * The characters AWS's published segment document schema (xray-segmentdocument-schema v1.0.0)
 * accepts in a segment name: the symbols `_ . : / % & # = + - @` and fixed BMP ranges — the
 * letters, numbers and separators of Unicode 8.0 (what Java's `[\p{L}\p{Z}\p{N}]` matched then).
 * Node's `\p{L}` follows today's Unicode, so it keeps letters added since (and letters outside the
 * BMP) that the schema refuses. Ranges in hex, inclusive; name-chars.test.ts checks every BMP
 * code point against the schema's own pattern.
 */
const RANGES =
  '20,23,25-26,2b,2d-3a,3d,40-5a,5f,61-7a,a0,aa,b2-b3,b5,b9-ba,bc-be,c0-d6,d8-f6,f8-2c1,2c6-2d1,' +
  '2e0-2e4,2ec,2ee,370-374,376-377,37a-37d,37f,386,388-38a,38c,38e-3a1,3a3-3f5,3f7-481,48a-52f,' +
  '531-556,559,561-587,5d0-5ea,5f0-5f2,620-64a,660-669,66e-66f,671-6d3,6d5,6e5-6e6,6ee-6fc,6ff,710,' +
  '712-72f,74d-7a5,7b1,7c0-7ea,7f4-7f5,7fa,800-815,81a,824,828,840-858,8a0-8b4,904-939,93d,950,' +
  '958-961,966-96f,971-980,985-98c,98f-990,993-9a8,9aa-9b0,9b2,9b6-9b9,9bd,9ce,9dc-9dd,9df-9e1,' +
  '9e6-9f1,9f4-9f9,a05-a0a,a0f-a10,a13-a28,a2a-a30,a32-a33,a35-a36,a38-a39,a59-a5c,a5e,a66-a6f,' +
  'a72-a74,a85-a8d,a8f-a91,a93-aa8,aaa-ab0,ab2-ab3,ab5-ab9,abd,ad0,ae0-ae1,ae6-aef,af9,b05-b0c,' +
  'b0f-b10,b13-b28,b2a-b30,b32-b33,b35-b39,b3d,b5c-b5d,b5f-b61,b66-b6f,b71-b77,b83,b85-b8a,b8e-b90,' +
  'b92-b95,b99-b9a,b9c,b9e-b9f,ba3-ba4,ba8-baa,bae-bb9,bd0,be6-bf2,c05-c0c,c0e-c10,c12-c28,c2a-c39,' +
  'c3d,c58-c5a,c60-c61,c66-c6f,c78-c7e,c85-c8c,c8e-c90,c92-ca8,caa-cb3,cb5-cb9,cbd,cde,ce0-ce1,' +
  'ce6-cef,cf1-cf2,d05-d0c,d0e-d10,d12-d3a,d3d,d4e,d5f-d61,d66-d75,d7a-d7f,d85-d96,d9a-db1,db3-dbb,' +
  'dbd,dc0-dc6,de6-def,e01-e30,e32-e33,e40-e46,e50-e59,e81-e82,e84,e87-e88,e8a,e8d,e94-e97,e99-e9f,' +
  'ea1-ea3,ea5,ea7,eaa-eab,ead-eb0,eb2-eb3,ebd,ec0-ec4,ec6,ed0-ed9,edc-edf,f00,f20-f33,f40-f47,' +
  'f49-f6c,f88-f8c,1000-102a,103f-1049,1050-1055,105a-105d,1061,1065-1066,106e-1070,1075-1081,108e,' +
  '1090-1099,10a0-10c5,10c7,10cd,10d0-10fa,10fc-1248,124a-124d,1250-1256,1258,125a-125d,1260-1288,' +
  '128a-128d,1290-12b0,12b2-12b5,12b8-12be,12c0,12c2-12c5,12c8-12d6,12d8-1310,1312-1315,1318-135a,' +
  '1369-137c,1380-138f,13a0-13f5,13f8-13fd,1401-166c,166f-169a,16a0-16ea,16ee-16f8,1700-170c,' +
  '170e-1711,1720-1731,1740-1751,1760-176c,176e-1770,1780-17b3,17d7,17dc,17e0-17e9,17f0-17f9,' +
  '1810-1819,1820-1877,1880-18a8,18aa,18b0-18f5,1900-191e,1946-196d,1970-1974,1980-19ab,19b0-19c9,' +
  '19d0-19da,1a00-1a16,1a20-1a54,1a80-1a89,1a90-1a99,1aa7,1b05-1b33,1b45-1b4b,1b50-1b59,1b83-1ba0,' +
  '1bae-1be5,1c00-1c23,1c40-1c49,1c4d-1c7d,1ce9-1cec,1cee-1cf1,1cf5-1cf6,1d00-1dbf,1e00-1f15,' +
  '1f18-1f1d,1f20-1f45,1f48-1f4d,1f50-1f57,1f59,1f5b,1f5d,1f5f-1f7d,1f80-1fb4,1fb6-1fbc,1fbe,' +
  '1fc2-1fc4,1fc6-1fcc,1fd0-1fd3,1fd6-1fdb,1fe0-1fec,1ff2-1ff4,1ff6-1ffc,2000-200a,2028-2029,202f,' +
  '205f,2070-2071,2074-2079,207f-2089,2090-209c,2102,2107,210a-2113,2115,2119-211d,2124,2126,2128,' +
  '212a-212d,212f-2139,213c-213f,2145-2149,214e,2150-2189,2460-249b,24ea-24ff,2776-2793,2c00-2c2e,' +
  '2c30-2c5e,2c60-2ce4,2ceb-2cee,2cf2-2cf3,2cfd,2d00-2d25,2d27,2d2d,2d30-2d67,2d6f,2d80-2d96,' +
  '2da0-2da6,2da8-2dae,2db0-2db6,2db8-2dbe,2dc0-2dc6,2dc8-2dce,2dd0-2dd6,2dd8-2dde,2e2f,3000,' +
  '3005-3007,3021-3029,3031-3035,3038-303c,3041-3096,309d-309f,30a1-30fa,30fc-30ff,3105-312d,' +
  '3131-318e,3192-3195,31a0-31ba,31f0-31ff,3220-3229,3248-324f,3251-325f,3280-3289,32b1-32bf,' +
  '3400-4db5,4e00-9fd5,a000-a48c,a4d0-a4fd,a500-a60c,a610-a62b,a640-a66e,a67f-a69d,a6a0-a6ef,' +
  'a717-a71f,a722-a788,a78b-a7ad,a7b0-a7b7,a7f7-a801,a803-a805,a807-a80a,a80c-a822,a830-a835,' +
  'a840-a873,a882-a8b3,a8d0-a8d9,a8f2-a8f7,a8fb,a8fd,a900-a925,a930-a946,a960-a97c,a984-a9b2,' +
  'a9cf-a9d9,a9e0-a9e4,a9e6-a9fe,aa00-aa28,aa40-aa42,aa44-aa4b,aa50-aa59,aa60-aa76,aa7a,aa7e-aaaf,' +
  'aab1,aab5-aab6,aab9-aabd,aac0,aac2,aadb-aadd,aae0-aaea,aaf2-aaf4,ab01-ab06,ab09-ab0e,ab11-ab16,' +
  'ab20-ab26,ab28-ab2e,ab30-ab5a,ab5c-ab65,ab70-abe2,abf0-abf9,ac00-d7a3,d7b0-d7c6,d7cb-d7fb,' +
  'f900-fa6d,fa70-fad9,fb00-fb06,fb13-fb17,fb1d,fb1f-fb28,fb2a-fb36,fb38-fb3c,fb3e,fb40-fb41,' +
  'fb43-fb44,fb46-fbb1,fbd3-fd3d,fd50-fd8f,fd92-fdc7,fdf0-fdfb,fe70-fe74,fe76-fefc,ff10-ff19,' +
  'ff21-ff3a,ff41-ff5a,ff66-ffbe,ffc2-ffc7,ffca-ffcf,ffd2-ffd7,ffda-ffdc';

/** One bit per BMP code unit: set when a segment name may contain it. */
const ALLOWED = new Uint8Array(0x10000 >> 3);
for (const part of RANGES.split(',')) {
  const dash = part.indexOf('-');
  const from = parseInt(dash < 0 ? part : part.slice(0, dash), 16);
  const to = dash < 0 ? from : parseInt(part.slice(dash + 1), 16);
  for (let c = from; c <= to; c++) ALLOWED[c >> 3] |= 1 << (c & 7);
}

/** Whether the UTF-16 code unit may appear in a segment name (surrogates never: the schema is BMP only). */
export function isNameCodeUnit(c: number): boolean {
  return (ALLOWED[c >> 3]! & (1 << (c & 7))) !== 0;
}
