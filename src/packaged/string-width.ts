/**
 * Stands in for the npm package string-width in the packaged bundle only (scripts/package
 * aliases it here). yargs and cliui measure every help line with it, and loading string-width 8
 * builds an Intl.Segmenter and several Unicode-property regular expressions (\p{RGI_Emoji} ...):
 * about 45 ms, a third of `bondctl --help`. bondd's help text is printable ASCII, where the width
 * is the length. Anything else is measured per code point: ANSI escapes and zero-width code
 * points count 0 (escapes removed by strip-ansi, as string-width does), East Asian wide and fullwidth ones 2 (get-east-asian-width, which string-width
 * itself uses), the rest 1; grapheme clusters (emoji sequences) are not merged, which only
 * matters for text bondd does not print.
 */
import { eastAsianWidth } from 'get-east-asian-width';
import stripAnsi from 'strip-ansi';

const PRINTABLE_ASCII = /^[ -~]*$/;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

export default function stringWidth(text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const char of stripAnsi(text)) {
    if (ZERO_WIDTH.test(char)) continue;
    width += eastAsianWidth(char.codePointAt(0)!);
  }
  return width;
}
