/**
 * Names bound to objects that are not data but that a later run can bind again exactly: a
 * builtin (`f = len`, `t = int`, `E = ValueError`), a module's function or type (`s = math.sqrt`,
 * `D = datetime.date`) and a compiled regex (`rx = re.compile('a+', re.I)`). The walker
 * (`value-notes.ts`) notes such an object handed back under a name of its own as `'named'`, with
 * its repr and, from `__pf_named` (Python, below), the modules whose attribute of that name *is*
 * the object; `aliasOf` turns the note into the expression that binds the same object in a later
 * run (`commitCollected` keeps it as an `'alias'` definition). Recognition is by identity, never
 * by the text alone: a repr names an object only when Python confirmed which one it is.
 */
import { isBuiltinName, PYTHON_BUILTIN_NAMES } from './python-builtins.js'

/** The names of Monty 0.0.18's modules, as `NAMED_SOURCE` imports them. */
const MONTY_MODULES = ['math', 'json', 're', 'datetime', 'os', 'sys', 'typing', 'asyncio', 'pathlib']

/** The engine's own name for an imported module, which no user binding reaches. */
export const moduleBinding = (module: string) => `__pf_mod_${module}`

/**
 * Python: `__pf_named(v)` lists the modules (of `MONTY_MODULES`) whose attribute of the name
 * in `v`'s repr is `v` itself (identity, not the text). Emitted only in programs that import
 * something (a module's function or type cannot be reached otherwise); the walker calls it for a
 * builtin function or a type handed back under a name of its own.
 */
export const NAMED_SOURCE = `def __pf_named(v):
    import ${MONTY_MODULES.join(', ')}
    r = __pf_repr(v)
    n = r.split(' ')[1] if r[:10] == '<function ' else r.split("'")[1].split('.')[-1] if r[:8] == '<class \\'' else ''
    if n == '' or n == 'environ':
        return ()
    return [m for m, o in (${MONTY_MODULES.map((m) => `('${m}', ${m})`).join(', ')}) if getattr(o, n, None) is v]
`

/** One single-line Python string literal, as `repr` of a `str` writes it. */
const STRING_LITERAL = /^(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")$/

/**
 * How a later run binds the object a `'named'` note describes, or undefined when it cannot:
 * `argument` is `[repr, modules]` for a builtin function or a type (`modules`: where
 * `__pf_named` found the very object) or `[pattern repr, flags]` for a compiled regex.
 */
export function aliasOf(
  argument: unknown,
  type: string,
): { imports: string[]; expression: string } | undefined {
  if (!Array.isArray(argument) || argument.length !== 2) return undefined
  const [first, second] = argument as [unknown, unknown]
  if (typeof first !== 'string') return undefined
  if (type === 're.Pattern') {
    // One Python string literal (Python's own repr of the pattern) and an integer: nothing else.
    if (!STRING_LITERAL.test(first) || typeof second !== 'number' || !Number.isInteger(second))
      return undefined
    return { imports: ['re'], expression: `${moduleBinding('re')}.compile(${first}, ${second})` }
  }
  const builtin = /^<built-in function ([A-Za-z_]\w*)>$/.exec(first)?.[1]
  if (builtin && PYTHON_BUILTIN_NAMES.has(builtin)) return { imports: [], expression: builtin }
  const name = (/^<function ([A-Za-z_]\w*) at 0x[0-9a-f]+>$/.exec(first) ??
    /^<class '(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)'>$/.exec(first))?.[1]
  if (!name) return undefined
  const modules = Array.isArray(second)
    ? second.filter((m): m is string => MONTY_MODULES.includes(m as string))
    : []
  const module = modules[0]
  if (module) return { imports: [module], expression: `${moduleBinding(module)}.${name}` }
  if (first.startsWith('<class ') && isBuiltinName(name)) return { imports: [], expression: name }
  return undefined
}
