import { expect, test } from 'vitest';
import { bookmarkletCode } from '../src/lib/bookmarklet-code';
import { csvCell, slug, toCsv } from '../src/lib/csv';

test('CSV quoting and formula injection', () => {
  expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], [1, null]])).toBe('a,b\n"x,y","say ""hi"""\n1,\n');
  expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
  expect(csvCell('-12.5')).toBe('-12.5');
  expect(csvCell('  =1+1')).toBe("'  =1+1");
  expect(csvCell(' @SUM(A1)')).toBe("' @SUM(A1)");
  expect(csvCell('\t=HYPERLINK("x")')).toBe('"\'\t=HYPERLINK(""x"")"');
  expect(slug('/Pricing/Plans')).toBe('pricing-plans');
  expect(slug('/')).toBe('home');
});

test('the bookmarklet JSON-encodes its values', () => {
  const code = bookmarkletCode({ server: 'https://t.example/', token: 'bt.a"b</script>', project_id: 'p1' });
  expect(code.startsWith('javascript:(function(){window.__tapistryBookmarklet=')).toBe(true);
  expect(code).toContain('"https://t.example/bookmarklet.js"');
  expect(code).not.toContain('</script>');
  const cfg = JSON.parse(/__tapistryBookmarklet=(\{.*?\});var/.exec(code)![1]!.replace(/\\u003c/g, '<'));
  expect(cfg.token).toBe('bt.a"b</script>');
});
