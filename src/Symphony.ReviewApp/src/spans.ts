/**
 * Evidence spans over a note's text. Offsets and lengths are in UTF-16 code units of the text as the server decoded it
 * (the server's strings are UTF-16 too), so they index a JavaScript string directly, whatever characters the note holds.
 */

/** One evidence span: where it is, and the key of every code it supports. */
export interface Span {
  offset: number;
  length: number;
  /** The code (a key of the review's codes) this span is evidence for. */
  code: string;
}

/** A run of the text between two span boundaries: every span covering it, outermost (earliest, longest) first. */
export interface Segment {
  start: number;
  end: number;
  text: string;
  codes: string[];
}

/**
 * Cuts the text at every span boundary, so overlapping and nested spans need no nested markup: each segment knows all
 * the codes whose spans cover it. Spans past the text's end are clipped; empty or wholly outside spans are ignored.
 * Adjacent segments with the same codes are merged.
 */
export function segment(text: string, spans: readonly Span[]): Segment[] {
  const valid = spans
    .map(s => ({ code: s.code, start: Math.max(0, s.offset), end: Math.min(text.length, s.offset + s.length) }))
    .filter(s => s.end > s.start);
  const cuts = new Set<number>([0, text.length]);
  for (const s of valid) { cuts.add(s.start); cuts.add(s.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const ordered = [...valid].sort((a, b) => a.start - b.start || b.end - a.end);
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i], end = points[i + 1];
    const codes: string[] = [];
    for (const s of ordered) if (s.start <= start && s.end >= end && !codes.includes(s.code)) codes.push(s.code);
    const last = segments[segments.length - 1];
    if (last && last.end === start && sameCodes(last.codes, codes)) {
      last.end = end;
      last.text = text.slice(last.start, end);
    } else segments.push({ start, end, text: text.slice(start, end), codes });
  }
  return segments;
}

function sameCodes(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every(c => b.includes(c));
}

/**
 * A selection of the rendered note as a span: the selection's two ends are each a segment's start offset plus the
 * position inside that segment's text; the result is ordered and trimmed of surrounding whitespace.
 */
export function selectionSpan(text: string, anchor: number, focus: number): { offset: number; length: number } | null {
  let start = Math.min(anchor, focus), end = Math.max(anchor, focus);
  start = Math.max(0, start); end = Math.min(text.length, end);
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end > start ? { offset: start, length: end - start } : null;
}
