// Test helpers for driving a Deep Agent with LangChain's `fakeModel()`: answers made from the
// conversation so far, and the texts of the tool results an agent run produced.
import { AIMessage, type BaseMessage } from '@langchain/core/messages'

let calls = 0

/** An AI message that calls one tool. */
export function toolCallMessage(name: string, args: Record<string, unknown>): AIMessage {
  calls += 1
  return new AIMessage({ content: '', tool_calls: [{ name, args, id: `call-${calls}`, type: 'tool_call' }] })
}

/** A final answer that quotes the last tool result, as a model that read it would. */
export function answerWithLastToolResult(messages: BaseMessage[]): AIMessage {
  return new AIMessage(`The tool said: ${textOf(messages.at(-1))}`)
}

/** The text of every tool result in a run's messages, in order. */
export function toolMessages(messages: readonly BaseMessage[]): string[] {
  return messages.filter((m) => m.getType() === 'tool').map(textOf)
}

/** The text of a message whose content is a string or text blocks. */
export function textOf(message: BaseMessage | undefined): string {
  const content = message?.content
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : 'text' in part ? String(part.text) : ''))
      .join('')
  }
  return ''
}
