// The runtime guides (docs/guide-*.md) show their complete examples verbatim: each block marked `<!-- example: PATH -->`
// must equal the tested file at PATH, so the guides cannot drift from the code the tests run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const docs = join(root, 'docs');
const guides = readdirSync(docs)
  .filter((name) => /^guide-.+\.md$/.test(name))
  .sort();

const MARKER = /^<!-- example: (\S+) -->$/;

interface ExampleBlock {
  /** The path in the marker, relative to the repository root. */
  path: string;
  /** 1-based line of the marker in the guide. */
  line: number;
  /** The code block's lines (without the fences). */
  lines: string[];
}

/** Every marked block of a guide; a marker not followed by a fenced code block is an error naming its line. */
function exampleBlocks(guide: string, text: string): ExampleBlock[] {
  const lines = text.split('\n');
  const blocks: ExampleBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i].trim());
    if (!marker) continue;
    let open = i + 1;
    while (open < lines.length && lines[open].trim() === '') open++;
    const fence = /^(`{3,}|~{3,})/.exec(lines[open] ?? '');
    if (!fence) throw new Error(`${guide}:${i + 1}: the marker for ${marker[1]} is not followed by a fenced code block`);
    const closing = new RegExp(`^${fence[1][0] === '`' ? '`' : '~'}{${fence[1].length},}\\s*$`);
    let close = open + 1;
    while (close < lines.length && !closing.test(lines[close])) close++;
    if (close === lines.length) throw new Error(`${guide}:${open + 1}: the code block for ${marker[1]} is not closed`);
    blocks.push({ path: marker[1], line: i + 1, lines: lines.slice(open + 1, close) });
    i = close;
  }
  return blocks;
}

/** Undefined when the block shows the file exactly, else where they first differ. */
function firstDifference(block: ExampleBlock, file: string): string | undefined {
  const fileLines = file.replace(/\n$/, '').split('\n');
  const count = Math.max(fileLines.length, block.lines.length);
  for (let i = 0; i < count; i++) {
    if (block.lines[i] === fileLines[i]) continue;
    const show = (line: string | undefined) => (line === undefined ? '(nothing: it ends before)' : JSON.stringify(line));
    return `line ${i + 1} of ${block.path}: the guide has ${show(block.lines[i])}, the file has ${show(fileLines[i])}`;
  }
  return undefined;
}

describe('docs/guide-*.md', () => {
  it('has a guide for Node and for the browser', () => {
    expect(guides).toEqual(expect.arrayContaining(['guide-node.md', 'guide-browser.md']));
  });

  it.each(guides)('%s shows each marked example exactly as the file it names', (guide) => {
    const blocks = exampleBlocks(guide, readFileSync(join(docs, guide), 'utf8'));
    expect(blocks.length, `${guide} has no <!-- example: PATH --> block`).toBeGreaterThan(0);
    for (const block of blocks) {
      const file = join(root, block.path);
      expect(existsSync(file), `${guide}:${block.line}: ${block.path} does not exist`).toBe(true);
      const difference = firstDifference(block, readFileSync(file, 'utf8'));
      expect(difference, `${guide}:${block.line}: ${difference}`).toBeUndefined();
    }
  });

  it('finds a difference, a missing file and an unmarked code block (the checker itself)', () => {
    const guide = ['# Guide', '', '<!-- example: examples/a.mjs -->', '', '```js', 'one', 'two', '```', ''].join('\n');
    const [block] = exampleBlocks('guide.md', guide);
    expect(block).toEqual({ path: 'examples/a.mjs', line: 3, lines: ['one', 'two'] });
    expect(firstDifference(block, 'one\ntwo\n')).toBeUndefined();
    expect(firstDifference(block, 'one\nTWO\n')).toBe('line 2 of examples/a.mjs: the guide has "two", the file has "TWO"');
    expect(firstDifference(block, 'one\ntwo\nthree\n')).toBe(
      'line 3 of examples/a.mjs: the guide has (nothing: it ends before), the file has "three"',
    );
    expect(() => exampleBlocks('guide.md', '<!-- example: x.js -->\ntext\n')).toThrow('guide.md:1: the marker for x.js is not followed');
    expect(() => exampleBlocks('guide.md', '<!-- example: x.js -->\n```js\nopen\n')).toThrow(
      'guide.md:2: the code block for x.js is not closed',
    );
  });
});
