/**
 * The e2e's reading of the real Fluentd capture (e2e/fixtures/fluentd-1.19.3), offline: how the
 * CRI input splits into entries, and which document Fluentd sent for each. The engine's part
 * (what it stores, its 400s, the link's query) runs in the e2e on the real OpenSearch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStacks, resolveTemplate } from '../ops/terraform-json';
import { build, outdirOf } from './helpers';
import { capturedRequests, carries, criEntries, FLUENTD_CAPTURE_DIR, fluentdTimestamp, lineShapes, recordOf, REQUIRED_CLASHES, REQUIRED_SHAPES } from '../e2e/fluentd-capture';

const input = readFileSync(join(FLUENTD_CAPTURE_DIR, 'input-cri.log'), 'utf8');

describe('CRI entries', () => {
  it('joins P parts to the F of the same stream, keeps a trailing P group, and times an entry by its first part', () => {
    const file = [
      '2026-12-05T10:00:01.000000001Z stderr P {"a":',
      '2026-12-05T10:00:02.000000000Z stdout F between',
      '2026-12-05T10:00:03.000000000Z stderr F 1}',
      '2026-12-05T10:00:04.000000000Z stdout P never ',
      '2026-12-05T10:00:05.000000000Z stdout P ends',
      '',
    ].join('\n');
    expect(criEntries(file)).toEqual([
      { stream: 'stdout', time: '2026-12-05T10:00:02.000000000Z', text: 'between', parts: 1, complete: true },
      { stream: 'stderr', time: '2026-12-05T10:00:01.000000001Z', text: '{"a":1}', parts: 2, complete: true },
      { stream: 'stdout', time: '2026-12-05T10:00:04.000000000Z', text: 'never ends', parts: 2, complete: false },
    ]);
    expect(() => criEntries('not a cri line\n')).toThrow('not a CRI log line');
    expect(fluentdTimestamp('2026-12-05T10:00:01.123456789Z')).toBe('2026-12-05T10:00:01.123456789+00:00');
  });

  it("the capture's input has every line shape and type clash of the issue, one marker per entry", () => {
    const entries = criEntries(input);
    expect(entries.map((e) => /entry-(\d+)/.exec(e.text)?.[1]).sort()).toEqual(Array.from({ length: 21 }, (_, i) => String(i + 1).padStart(2, '0')));
    const { shapes, clashes } = lineShapes(entries);
    expect(shapes).toEqual(expect.arrayContaining(REQUIRED_SHAPES));
    expect(clashes).toEqual(expect.arrayContaining(REQUIRED_CLASHES));
  });
});

describe('what the real Fluentd sent', () => {
  const sent = capturedRequests().flat();
  const entries = criEntries(input);

  it('one document per entry (rejected ones twice: as written, then as a fallback), each with its stream and the time it was written', () => {
    const counts = entries.map((e) => sent.filter((s) => carries(s.document, e)).length);
    const fallbackOf = entries.map((e) => sent.some((s) => s.document.fluentd_rejected === true && carries(s.document, e)));
    expect(counts).toEqual(fallbackOf.map((f) => (f ? 2 : 1)));
    expect(fallbackOf.filter(Boolean).length).toBe(2);
    expect(sent.every((s) => entries.some((e) => carries(s.document, e)))).toBe(true);
  });

  it('a fallback document holds the rejected record whole, and only fields of the one type its template maps', () => {
    for (const f of sent.filter((s) => s.document.fluentd_rejected === true)) {
      const record = recordOf(f.document)!;
      expect(sent.some((s) => s !== f && JSON.stringify(s.document) === JSON.stringify(record))).toBe(true);
      expect(f.action.index._index).toMatch(/^fluentd-rejected-\d{4}-\d{2}-\d{2}$/);
      for (const k of ['stream', 'logtag', 'trace_id']) expect(typeof f.document[k]).toBe('string');
    }
  });

  it('carries() tells entries apart: another stream, time or logtag is not the entry', () => {
    const [first] = entries;
    const doc = sent.find((s) => carries(s.document, first))!.document;
    expect(carries({ ...doc, stream: 'stderr' }, first)).toBe(false);
    expect(carries({ ...doc, '@timestamp': '2026-12-05T10:00:01+00:00' }, first)).toBe(false);
    expect(carries({ ...doc, logtag: 'P' }, first)).toBe(false);
    expect(carries({ ...doc, msg: 'other' }, first)).toBe(false);
  });
});

describe('the capture is of the fluent.conf the logging stack deploys today', () => {
  it('equals the dev profile synthesized config, Terraform escapes read and references resolved (re-capture after a change: e2e/fixtures/fluentd-1.19.3/README.md)', () => {
    const app = build();
    const stacks = readStacks(outdirOf(app));
    const configMap = Object.values<any>(stacks.logging.resource!.kubernetes_config_map_v1).find((c) => 'fluent.conf' in c.data);
    const deployed = resolveTemplate(configMap.data['fluent.conf'], 'logging', stacks);
    // The capture saved the config with a final newline; the ConfigMap has none.
    expect(deployed).toBe(readFileSync(join(FLUENTD_CAPTURE_DIR, 'fluent.conf'), 'utf8').replace(/\n$/, ''));
  });
});
