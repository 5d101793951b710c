/**
 * The README is a newcomer's page and the reference lives in docs/, one page per concern. These
 * checks keep that true as the text moves: every page reachable from the README, every relative
 * link and anchor resolving, no page growing past what a reader takes in one sitting, and the
 * tables that code rewrites or reads (the bench's speed table) where the code looks for them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { blockAgentRatio, readmeAgentRatio, writeReadmeAgentRatio } from '../bench/agent-cost';
import { hasBenchBlock, readBenchBlock, SPEED_TABLE_PAGE, writeBenchBlock } from '../bench/speed';

const ROOT = join(__dirname, '..');
const MAX_LINES = 300;
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsIn(page: string): Set<string> {
  const text = read(page).replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
}

function relativeLinks(page: string): { target: string; anchor?: string }[] {
  const text = read(page).replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [file, anchor] = href.split('#');
      return { target: file === '' ? page : normalize(join(dirname(page), file)), anchor };
    });
}

describe('README and docs/', () => {
  it('the README starts with the two commands: install and deploy, install and test', () => {
    const firstScreen = read('README.md').split('\n').slice(0, 8).join('\n');
    expect(firstScreen).toMatch(/^```bash\nnpm ci && npm run deploy\b[^\n]*\nnpm ci && npm test\b/m);
  });

  it.each(pages)(`%s stays under ${MAX_LINES} lines`, (page) => {
    expect(read(page).split('\n').length).toBeLessThanOrEqual(MAX_LINES);
  });

  it.each(pages)('every relative link of %s resolves to a file and, with an anchor, to a heading of it', (page) => {
    for (const { target, anchor } of relativeLinks(page)) {
      expect({ page, target, exists: existsSync(join(ROOT, target)) }).toEqual({ page, target, exists: true });
      if (anchor && target.endsWith('.md')) expect({ page, target, anchor, found: anchorsIn(target).has(anchor) }).toEqual({ page, target, anchor, found: true });
    }
  });

  it('the README links every docs page, so none is orphaned', () => {
    const linked = new Set(relativeLinks('README.md').map((l) => l.target));
    expect(pages.filter((p) => p !== 'README.md' && !linked.has(p))).toEqual([]);
  });

  it.each(['speed', 'agent'])('the %s table that `npm run bench` rewrites is on the performance page, between its markers', (block) => {
    const page = read(SPEED_TABLE_PAGE);
    expect(hasBenchBlock(page, block)).toBe(true);
    expect(writeBenchBlock(page, block, 'x')).toContain(`<!-- bench:${block}:start -->\nx\n<!-- bench:${block}:end -->`);
    expect(read('README.md')).not.toContain(`<!-- bench:${block}:start -->`);
  });

  it('the README quotes the agent/minimal CPU ratio of the bench page\'s agent block, and the bench rewrites it', () => {
    const measured = blockAgentRatio(readBenchBlock(read(SPEED_TABLE_PAGE), 'agent') ?? '');
    expect(measured).toMatch(/^\d+\.\d\d$/);
    expect(readmeAgentRatio(read('README.md'))).toBe(measured);
    expect(readmeAgentRatio(writeReadmeAgentRatio(read('README.md'), 1.5))).toBe('1.50');
    expect(() => writeReadmeAgentRatio('no ratio here', 1.5)).toThrow(/the agent costs/);
  });
});
