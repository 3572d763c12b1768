// Message content laid out for reading: HL7 v2 one segment per line with its
// separators highlighted (the field, component, repetition, escape and
// subcomponent characters come from the message's own MSH-1 and MSH-2),
// JSON indented, anything else as it is.
import { h } from './dom';

export function looksLikeHl7(text: string): boolean {
  return /^(MSH|FHS|BHS)./.test(text.trimStart());
}

export function contentView(text: string | undefined, kind?: string): HTMLElement {
  if (text === undefined || text === '') return h('pre', { class: 'content empty' }, '(empty)');
  if ((kind === 'hl7v2' || !kind || kind === 'text') && looksLikeHl7(text)) return hl7View(text);
  if (kind === 'json' || /^\s*[[{]/.test(text)) {
    try {
      return h('pre', { class: 'content json' }, JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      // not JSON after all: shown as text below
    }
  }
  return h('pre', { class: 'content' }, text);
}

export function hl7View(text: string): HTMLElement {
  const start = text.trimStart();
  const field = start.charAt(3) || '|';
  const encoding = start.slice(4, 8);
  const component = encoding.charAt(0) || '^';
  const repetition = encoding.charAt(1) || '~';
  const escape = encoding.charAt(2) || '\\';
  const subcomponent = encoding.charAt(3) || '&';
  const kinds = new Map<string, string>([
    [field, 'sep-field'],
    [component, 'sep-component'],
    [repetition, 'sep-repetition'],
    [escape, 'sep-escape'],
    [subcomponent, 'sep-subcomponent'],
  ]);

  const segments = text.split(/\r\n|\r|\n/).filter((s) => s.length > 0);
  const pre = h('pre', { class: 'content hl7', 'data-segments': segments.length });
  for (const segment of segments) {
    const line = h('span', { class: 'segment' });
    const name = segment.slice(0, 3);
    line.appendChild(h('span', { class: 'segment-name' }, name));
    let rest = segment.slice(3);
    // MSH-1 and MSH-2 are the separators themselves: shown plainly once.
    if (name === 'MSH' && rest.length >= 5) {
      line.appendChild(h('span', { class: 'sep-field' }, rest.charAt(0)));
      line.appendChild(h('span', { class: 'msh-encoding' }, rest.slice(1, 5)));
      rest = rest.slice(5);
    }
    let run = '';
    for (const ch of rest) {
      const cls = kinds.get(ch);
      if (cls) {
        if (run) line.appendChild(document.createTextNode(run));
        run = '';
        line.appendChild(h('span', { class: cls }, ch));
      } else {
        run += ch;
      }
    }
    if (run) line.appendChild(document.createTextNode(run));
    pre.appendChild(line);
  }
  return pre;
}
