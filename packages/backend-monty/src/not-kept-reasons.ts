/**
 * Why a value cannot be carried to a later run, in words for the model that reads the
 * `NameError` (`not-kept.ts`) and for `result.notKept` (`value-notes.ts` finds the values).
 */

/** Paths deeper than this are not walked further: such a value is not kept ('deep'). */
export const MAX_WALK_DEPTH = 210

/**
 * Why a value cannot be carried to a later run, as a clause ("... not kept because <reason>"):
 * `problem` is what the walk found (a Python type name, 'cycle' or 'deep'), `nested` whether it
 * sits inside the value rather than being the value.
 */
export function notKeptReason(problem: string, nested: boolean): string {
  const why = (() => {
    switch (problem) {
      case 'cycle':
        return 'it contains itself (a cycle), which a later run cannot be handed'
      case 'deep':
        return `it nests deeper than ${MAX_WALK_DEPTH} levels`
      case 'function':
        return 'a function made at run time (a closure returned by a call, or a def bound to another name) cannot be rebuilt in a later run; define it with a top-level def or lambda'
      case 'iterator':
      case 'generator':
      case 'coroutine':
        return `the position of ${article(problem)} cannot be carried to a later run; keep list(...) of it, or make it again`
      case 'module':
        return 'a module inside a container cannot be carried to a later run; bind it to a name of its own (import m as name)'
      case 'builtin_function_or_method':
      case 'type':
      case 're.Pattern':
        return nested
          ? `${article(`Python ${problem}`)} inside a container cannot be carried to a later run; bind it to a name of its own (f = len, rx = re.compile(...))`
          : `${article(`Python ${problem}`)} that Python cannot name again (not a builtin or a module's own) cannot be carried to a later run`
      default:
        return `${article(`Python ${problem}`)} is not data that a later run can be handed`
    }
  })()
  return nested && problem !== 'cycle' && problem !== 'deep' ? `it holds ${article(problem)}: ${why}` : why
}

/** `a list`, `an iterator`. */
export function article(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`
}
