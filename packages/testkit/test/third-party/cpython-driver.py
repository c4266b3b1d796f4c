# The driver of the third-party example backend: runs one snippet against a pickled namespace.
# Reads /run/snippet.py and /run/inputs.json, writes one JSON line after the marker on stdout,
# and rewrites /state/session.pickle only when the snippet succeeded.
import ast, contextlib, importlib, io, json, marshal, pickle, sys, traceback, types

STATE = '/state/session.pickle'
MARKER = '@@PYFLUE-RESULT@@'


def emit(payload):
    sys.__stdout__.write(MARKER + json.dumps(payload) + '\n')


def load_namespace():
    try:
        with open(STATE, 'rb') as f:
            saved = pickle.load(f)
    except FileNotFoundError:
        saved = {'values': {}, 'functions': {}, 'modules': {}}
    ns = {'__name__': '__main__'}
    ns.update(saved['values'])
    for name, module in saved['modules'].items():
        ns[name] = importlib.import_module(module)
    for name, (code, defaults) in saved['functions'].items():
        ns[name] = types.FunctionType(marshal.loads(code), ns, name, defaults)
    return ns


def save_namespace(ns):
    saved = {'values': {}, 'functions': {}, 'modules': {}}
    for name, value in ns.items():
        if name.startswith('__'):
            continue
        if isinstance(value, types.ModuleType):
            saved['modules'][name] = value.__name__
        elif isinstance(value, types.FunctionType):
            saved['functions'][name] = (marshal.dumps(value.__code__), value.__defaults__)
        else:
            try:
                pickle.dumps(value)
                saved['values'][name] = value
            except Exception:
                pass
    with open(STATE, 'wb') as f:
        pickle.dump(saved, f)


def main():
    with open('/run/snippet.py') as f:
        source = f.read()
    with open('/run/inputs.json') as f:
        inputs = json.load(f)
    try:
        tree = ast.parse(source, '<snippet>')
    except SyntaxError as e:
        emit({'ok': False, 'kind': 'syntax', 'excType': type(e).__name__, 'message': e.msg, 'line': e.lineno})
        return
    ns = load_namespace()
    ns.update(inputs)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(tree, '<snippet>', 'exec'), ns)
            result = eval(compile(last, '<snippet>', 'eval'), ns) if last else None
        json.dumps(result)
    except BaseException as e:
        frames = [
            {'filename': fr.filename, 'line': fr.lineno, 'name': fr.name, 'source': fr.line}
            for fr in traceback.extract_tb(e.__traceback__)
            if fr.filename == '<snippet>'
        ]
        emit({'ok': False, 'kind': 'runtime', 'excType': type(e).__name__, 'message': str(e), 'traceback': frames})
        return
    for name, value in inputs.items():
        if name in ns and ns[name] is value:
            del ns[name]
    save_namespace(ns)
    emit({'ok': True, 'result': result, 'stdout': out.getvalue()})


main()
