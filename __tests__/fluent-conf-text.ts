/**
 * Fluentd's config syntax read back into sections, for tests that ask what the synthesized
 * fluent.conf says (which filters run where, in which order, with which parameters): `<name arg>`
 * … `</name>` sections, `key value` parameters, `#` comments. The subset fluent.conf uses.
 */
export interface ConfSection {
  readonly name: string;
  readonly arg?: string;
  readonly params: Record<string, string>;
  readonly children: ConfSection[];
}

export function parseFluentConf(text: string): ConfSection[] {
  const root: ConfSection = { name: 'root', params: {}, children: [] };
  const open: ConfSection[] = [root];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const close = /^<\/(\w+)>$/.exec(line);
    const start = /^<(\w+)(?:\s+(.+))?>$/.exec(line);
    const current = open[open.length - 1];
    if (close) {
      if (current.name !== close[1]) throw new Error(`line ${i + 1}: </${close[1]}> closes <${current.name}>`);
      open.pop();
    } else if (start) {
      const section: ConfSection = { name: start[1], ...(start[2] ? { arg: start[2] } : {}), params: {}, children: [] };
      current.children.push(section);
      open.push(section);
    } else {
      const m = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
      current.params[m[1]] = m[2] ?? '';
    }
  }
  if (open.length !== 1) throw new Error(`<${open[open.length - 1].name}> is not closed`);
  return root.children;
}

/** Every section with the labels (`<label @X>` args) it sits in, depth first, in file order. */
export function sectionsOf(sections: readonly ConfSection[], labels: string[] = []): { section: ConfSection; labels: string[] }[] {
  return sections.flatMap((section) => [{ section, labels }, ...sectionsOf(section.children, section.name === 'label' ? [...labels, section.arg!] : labels)]);
}
