/**
 * Shortens `text` to at most about `maxChars` characters, keeping its beginning and its end and
 * putting a marker in the middle that says how much was left out. Text within the limit is
 * returned unchanged.
 */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const keep = Math.max(0, maxChars - 60)
  const head = Math.ceil(keep * 0.7)
  const tail = keep - head
  const omitted = text.length - head - tail
  return `${text.slice(0, head)}\n[... ${omitted} characters truncated ...]\n${tail > 0 ? text.slice(text.length - tail) : ''}`
}

/** The marker `truncateText` inserts, for callers that look for it. */
export const TRUNCATION_MARKER_PATTERN = /\[\.\.\. \d+ characters truncated \.\.\.\]/
