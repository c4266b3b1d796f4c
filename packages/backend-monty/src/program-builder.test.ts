/**
 * What `buildProgram` adds to a snippet: the walker only where a value that may need it is
 * handed back or an argument checked (Monty parses it anew for every new program), and the
 * builtin bindings only where the walker, a wrapper or the decoder calls them.
 */
import { describe, expect, it } from 'vitest'
import { buildProgram } from './program-builder.js'

const parts = (userCode: string, extra: Partial<Parameters<typeof buildProgram>[0]> = {}) =>
  buildProgram({
    scriptName: '<snippet>',
    declare: [],
    wrappers: [],
    definitions: [],
    userCode,
    collect: [],
    collectAfterMarker: [],
    renamedInputs: [],
    sessionValues: [],
    ...extra,
  })

describe('buildProgram', () => {
  it('leaves the walker out of a snippet that hands nothing back', () => {
    const program = parts('print("hello")\n')
    // The epilogue alone needs only the engine's own `type`.
    expect(program.source.startsWith('__pf_type = type\n')).toBe(true)
    expect(program.source).not.toContain('__pf_id')
    expect(program.source).not.toContain('def __pf_walk(')
  })

  it('includes the walker when a name is collected or a wrapper checks arguments', () => {
    expect(parts('x = 1\n', { collect: ['x'], declare: ['x'] }).source).toContain('def __pf_walk(')
    const wrapped = parts('f(1)\n', { wrappers: ['def f(*args, **kwargs):\n    return 1\n'] }).source
    expect(wrapped).toContain('def __pf_walk(')
    expect(wrapped).toContain('def __pf_check_args(')
  })

  it('leaves the walker out of a program proven to hand back only scalars', () => {
    const program = parts('x = 2.0\n', { collect: ['x'], declare: ['x'], scalarOnly: true })
    expect(program.source).not.toContain('def __pf_walk(')
    expect(program.source).toContain('__pf_out.append((x, __pf_type(x).__name__))')
    // The walk is not called either.
    expect(program.source).not.toContain('__pf_walk(')
  })
})
