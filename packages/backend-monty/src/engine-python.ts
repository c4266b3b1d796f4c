/**
 * Python the engine adds to programs besides the walker (`value-notes.ts`): the builtins it
 * binds under names of its own before any user code, and the argument check of external calls.
 */

/**
 * The builtins the engine's added code calls, bound under names of its own before any user code
 * runs (a user's `type = 3` or `set = …` cannot reach them). Every program has them.
 */
export const BUILTIN_BINDINGS_SOURCE = `__pf_type, __pf_id, __pf_set, __pf_map, __pf_repr, __pf_len, __pf_list, __pf_tuple, __pf_dict = type, id, set, map, repr, len, list, tuple, dict
__pf_float, __pf_range, __pf_frozenset, __pf_int = float, range, frozenset, int
__pf_str, __pf_LookupError, __pf_TypeError = str, LookupError, TypeError
__pf_plain = {int, str, bool, bytes, type(None)}
__pf_plain_float = {float, str, bool, bytes, type(None)}
`

/**
 * Python: `__pf_check_args(args, kwargs)` raises `TypeError` for an argument that is not data (a
 * function, module, range, iterator, coroutine, regex object or cyclic value), checked with
 * `__pf_walk`. Emitted only in programs that wrap external functions (its parse costs ~30 µs).
 */
export const CHECK_ARGS_SOURCE = `def __pf_check_args(args, kwargs):
    not_data = {'function', 'builtin_function_or_method', 'iterator', 'generator', 'coroutine', 're.Pattern', 're.Match'}
    notes = []
    __pf_walk([args, kwargs], (), notes, {}, __pf_set())
    for n in notes:
        k = n[1]
        found = n[2] if k == 'other' else k
        if k == 'cycle' or k == 'module' or k == 'range' or (k == 'other' and n[2] in not_data):
            raise __pf_TypeError('A Python ' + found + ' is not data and cannot cross into JavaScript; pass data built from it instead')
`
