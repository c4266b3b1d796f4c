// The text of a LangChain message whose content is a string or content blocks.
import type { BaseMessage } from '@langchain/core/messages'

/** The text parts of `message`'s content, joined (`''` when it has none). */
export function textOf(message: BaseMessage | undefined): string {
  const content = message?.content
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof part === 'string' ? part : part.type === 'text' && 'text' in part ? String(part.text) : '',
      )
      .join('')
  }
  return ''
}
