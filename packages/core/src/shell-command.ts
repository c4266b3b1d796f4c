/**
 * A conservative reading of a shell command line, enough for a policy to decide whether to let
 * it run. It does not execute or expand anything. It errs towards "compound" and
 * "substitution": when in doubt, a policy refuses.
 */
export interface ShellCommandAnalysis {
  /** Each simple command's words, with quotes removed. */
  readonly commands: readonly { readonly name: string | undefined; readonly words: readonly string[] }[]
  /** True when the line holds more than one command, a subshell, a group, or a background job. */
  readonly compound: boolean
  /** True for `$(…)`, backticks, `<(…)`, `>(…)` or `$((…))` anywhere, quoted or not. */
  readonly substitution: boolean
  /** True when an output redirection writes to a file other than `/dev/null`. */
  readonly writeRedirect: boolean
  /** True when a quote is left open; such a line cannot be judged. */
  readonly incomplete: boolean
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/
/** Words that come before a command without being it: the command is the word after them. */
const PREFIX_WORDS = new Set(['{', '!', 'if', 'then', 'else', 'elif', 'do', 'while', 'until', 'time'])

/** Reads `command` into simple commands and flags; see `ShellCommandAnalysis`. */
export function analyzeShellCommand(command: string): ShellCommandAnalysis {
  const commands: { name: string | undefined; words: string[] }[] = []
  let words: string[] = []
  let word = ''
  let inWord = false
  let separators = 0
  let compound = false
  let substitution = false
  let writeRedirect = false
  let pendingRedirectTarget = false
  let i = 0

  const endWord = () => {
    if (!inWord) return
    if (pendingRedirectTarget) {
      if (word !== '/dev/null') writeRedirect = true
      pendingRedirectTarget = false
    } else {
      words.push(word)
    }
    word = ''
    inWord = false
  }
  const endCommand = () => {
    endWord()
    if (words.length > 0) {
      const name = words.find((w) => !ASSIGNMENT.test(w) && !PREFIX_WORDS.has(w))
      commands.push({ name, words })
    }
    words = []
  }

  while (i < command.length) {
    const ch = command[i]!
    const next = command[i + 1]
    if (ch === '\\') {
      if (next === '\n') {
        i += 2
        continue
      }
      word += next ?? ''
      inWord = true
      i += 2
      continue
    }
    if (ch === "'") {
      const close = command.indexOf("'", i + 1)
      if (close < 0) return incomplete(commands)
      word += command.slice(i + 1, close)
      inWord = true
      i = close + 1
      continue
    }
    if (ch === '"') {
      let j = i + 1
      let closed = false
      while (j < command.length) {
        const c = command[j]!
        if (c === '\\' && j + 1 < command.length) {
          const escaped = command[j + 1]!
          word += '"\\$`\n'.includes(escaped) ? escaped : `\\${escaped}`
          j += 2
          continue
        }
        if (c === '"') {
          closed = true
          break
        }
        if (c === '`' || (c === '$' && command[j + 1] === '(')) substitution = true
        word += c
        j++
      }
      if (!closed) return incomplete(commands)
      inWord = true
      i = j + 1
      continue
    }
    if (ch === '`' || (ch === '$' && next === '(')) {
      substitution = true
      word += ch
      inWord = true
      i++
      continue
    }
    if ((ch === '<' || ch === '>') && next === '(') {
      substitution = true
      i += 2
      continue
    }
    if (ch === '#' && !inWord) {
      const end = command.indexOf('\n', i)
      i = end < 0 ? command.length : end
      continue
    }
    if (ch === ' ' || ch === '\t') {
      endWord()
      i++
      continue
    }
    if (ch === ';' || ch === '\n' || ch === '|' || ch === '&') {
      if (ch === '&' && next === '>') {
        // `&>file` and `&>>file` redirect both streams to a file.
        endWord()
        i += command[i + 2] === '>' ? 3 : 2
        pendingRedirectTarget = true
        continue
      }
      endCommand()
      separators++
      i += next === ch || (ch === '|' && next === '&') ? 2 : 1
      continue
    }
    if (ch === '(' || ch === ')') {
      endCommand()
      compound = true
      i++
      continue
    }
    if (ch === '>' || ch === '<') {
      // A leading file-descriptor number belongs to the redirection, not to the words.
      if (inWord && /^\d+$/.test(word)) {
        word = ''
        inWord = false
      } else {
        endWord()
      }
      if (ch === '<') {
        i += command.startsWith('<<<', i) ? 3 : next === '<' ? 2 : 1
        if (command[i] === '>') {
          i++
          pendingRedirectTarget = true
        } else {
          skipRedirectTarget()
        }
        continue
      }
      i += next === '>' || next === '|' ? 2 : 1
      if (command[i] === '&') {
        // `>&2`, `2>&1`: duplicates a descriptor; `>&file` would be odd, treat it as a write.
        i++
        const target = /^\s*(\d+|-)/.exec(command.slice(i))
        if (target) {
          i += target[0].length
          continue
        }
      }
      pendingRedirectTarget = true
      continue
    }
    word += ch
    inWord = true
    i++
  }
  endCommand()
  if (pendingRedirectTarget) writeRedirect = true

  const grouped = commands.some((c) => c.words[0] === '{' || c.words[0] === '}')
  return {
    commands,
    compound:
      compound ||
      grouped ||
      (separators > 0 && commands.length > 1) ||
      separatorsWithBackground(command, commands.length),
    substitution,
    writeRedirect,
    incomplete: false,
  }

  function skipRedirectTarget() {
    while (command[i] === ' ' || command[i] === '\t') i++
    // The input file name is a word that does not count as an argument.
    pendingRedirectTarget = false
    let consumed = ''
    while (i < command.length && !' \t;|&<>()\n'.includes(command[i]!)) consumed += command[i++]
    if (consumed.includes('$(') || consumed.includes('`')) substitution = true
  }
}

/** A lone trailing `&` runs the command in the background: treated as compound. */
function separatorsWithBackground(command: string, count: number): boolean {
  return count >= 1 && /(^|[^&>])&\s*$/.test(command)
}

function incomplete(commands: ShellCommandAnalysis['commands']): ShellCommandAnalysis {
  return { commands, compound: true, substitution: false, writeRedirect: false, incomplete: true }
}
