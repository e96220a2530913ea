import { expect, test } from 'vitest';
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
