import type { SyntaxNode } from '@lezer/common'
import { parser } from '@lezer/python'
import { importItems } from './import-items.js'
import { loopShapeOf, type ScalarShape, scalarShapeOf, updateShapeOf } from './scalar-shape.js'

/** A top-level statement whose value cannot cross as data, kept as source and re-emitted in later runs. */
export interface CodeDefinition {
  /** The one name the statement binds. */
  readonly name: string
  /**
   * `'alias'`: a name bound to a builtin, a module's function or type, or a compiled regex (made
   * by a commit, never by the analysis).
   */
  readonly kind: 'def' | 'lambda' | 'import' | 'alias'
  /** Source that binds exactly `name` (a `def`, `name = lambda …`, a one-name import, or an alias). */
  readonly source: string
  /** 1-based line of the source's first line in its snippet. */
  readonly line: number
  /** Every name the source reads (an over-approximation; harmless). */
  readonly reads: readonly string[]
  /** Names the source declares `global` inside function bodies. */
  readonly globals: readonly string[]
}

/** A construct the backend refuses, with what to do instead. */
export interface UnsupportedConstruct {
  readonly construct: string
  readonly alternative: string
  readonly line: number
}

/** What the engine needs to know about one snippet, from `@lezer/python`'s syntax tree. */
export interface SnippetAnalysis {
  /** Names bound at module level (assignment targets, for/with/except targets, walrus, def, import, `global` in functions). */
  readonly assigned: ReadonlySet<string>
  /** Every name the snippet reads anywhere (module level and inside functions). */
  readonly reads: ReadonlySet<string>
  /** Names read inside functions, lambdas or comprehensions (where Monty does not keep a looked-up value). */
  readonly nestedReads: ReadonlySet<string>
  /** The last top-level statement, when it is an expression statement: its source range. */
  readonly lastExpression?: { readonly from: number; readonly to: number }
  /** For each name, the top-level definition that bound it last, when the last top-level binder is a def, lambda or import. */
  readonly definitions: ReadonlyMap<string, CodeDefinition>
  /** Names called directly under `await` (`await f(…)`, `await asyncio.gather(f(…))`), anywhere. */
  readonly awaited: ReadonlySet<string>
  /**
   * For each name bound at module level, the shape of each of its bindings (`scalar-shape.ts`),
   * or null when some binding may not be a plain scalar.
   */
  readonly scalars: ReadonlyMap<string, readonly ScalarShape[] | null>
  /** The shape of the last expression, or null when it may not be a plain scalar. */
  readonly resultShape?: ScalarShape | null
  readonly unsupported?: UnsupportedConstruct
  /** Where the parser found a syntax error, when it did. */
  readonly syntaxError?: { readonly line: number; readonly column: number }
}

const SCOPE_NODES = new Set([
  'FunctionDefinition',
  'LambdaExpression',
  'ArrayComprehensionExpression',
  'DictionaryComprehensionExpression',
  'SetComprehensionExpression',
  'ComprehensionExpression',
])

const FORBIDDEN_CALLS: Record<string, string> = {
  globals: 'Refer to the variables by name; the session keeps them between runs.',
  locals: 'Refer to the variables by name.',
  vars: 'Refer to the variables or attributes by name.',
  exec: 'Write the code directly in the snippet.',
  eval: 'Write the expression directly in the snippet.',
}

/** Analyses a snippet with `@lezer/python`. Never throws for bad Python: syntax errors are reported in the result. */
export function analyzeSnippet(code: string): SnippetAnalysis {
  const tree = parser.parse(code)
  const lineStarts = computeLineStarts(code)
  const position = (offset: number) => offsetToLineColumn(lineStarts, offset)
  const text = (node: SyntaxNode) => code.slice(node.from, node.to)

  const assigned = new Set<string>()
  const reads = new Set<string>()
  const nestedReads = new Set<string>()
  const awaited = new Set<string>()
  let scopeDepth = 0
  const globals = new Set<string>()
  let unsupported: UnsupportedConstruct | undefined
  let syntaxError: { line: number; column: number } | undefined

  const refuse = (construct: string, alternative: string, offset: number) => {
    if (!unsupported) unsupported = { construct, alternative, line: position(offset).line }
  }

  // Pass 1: every node, for reads, errors, unsupported constructs and `global` declarations.
  tree.iterate({
    enter(ref) {
      const node = ref.node
      if (SCOPE_NODES.has(ref.name)) scopeDepth++
      if (ref.type.isError) {
        if (!syntaxError) syntaxError = position(ref.from)
        return
      }
      switch (ref.name) {
        case 'AwaitExpression': {
          // `await f(…)`, and the calls handed to `await asyncio.gather(f(…), g(…))`.
          const call = node.getChild('CallExpression')
          const callee = call?.firstChild
          if (callee?.name === 'VariableName') awaited.add(text(callee))
          else if (callee && /(^|\.)gather$/.test(text(callee))) {
            for (const argument of call!.getChild('ArgList')?.getChildren('CallExpression') ?? []) {
              if (argument.firstChild?.name === 'VariableName') awaited.add(text(argument.firstChild))
            }
          }
          break
        }
        case 'VariableName':
          // The engine's own names (its builtin bindings, walker, result): a snippet that binds
          // one could make the engine misread what the run hands back.
          if (text(node).startsWith('__pf_'))
            refuse(
              `the name ${text(node)}`,
              "Use another name: names starting with __pf_ are the engine's own.",
              ref.from,
            )
          if (!isKeywordArgumentName(node)) {
            reads.add(text(node))
            if (scopeDepth > 0) nestedReads.add(text(node))
          }
          break
        case 'ClassDefinition':
          refuse(
            'class statements',
            'Register a JavaScript class with registerDataclass() and construct it from Python, or use dicts.',
            ref.from,
          )
          break
        case 'yield':
          refuse('yield (generators)', 'Build and return a list instead.', ref.from)
          break
        case 'del':
          refuse(
            'the del statement',
            'Rebind the name instead (x = None), or use dict.pop() / list.pop().',
            ref.from,
          )
          break
        case 'ImportStatement':
          if (node.getChild('*'))
            refuse(
              'star imports (from m import *)',
              'Import the names you need explicitly: from m import a, b.',
              ref.from,
            )
          break
        case 'ScopeStatement':
          if (node.firstChild?.name === 'global') {
            for (const name of node.getChildren('VariableName')) globals.add(text(name))
          }
          break
        case 'CallExpression': {
          const callee = node.firstChild
          if (callee?.name === 'VariableName') {
            const name = text(callee)
            const alternative = FORBIDDEN_CALLS[name]
            if (alternative) refuse(`${name}()`, alternative, ref.from)
          }
          break
        }
      }
    },
    leave(ref) {
      if (SCOPE_NODES.has(ref.name)) scopeDepth--
    },
  })

  // Pass 2: module-level bindings, in statement order.
  const definitions = new Map<string, CodeDefinition>()
  const scalars = new Map<string, ScalarShape[] | null>()
  const bindData = (name: string, shape: ScalarShape | null = null) => {
    assigned.add(name)
    definitions.delete(name)
    const shapes = scalars.get(name)
    scalars.set(name, shape && shapes !== null ? [...(shapes ?? []), shape] : null)
  }
  const bindDefinition = (definition: CodeDefinition) => {
    assigned.add(definition.name)
    definitions.set(definition.name, definition)
    scalars.set(definition.name, null)
  }
  const collectTargets = (node: SyntaxNode | null, bind: (name: string) => void): void => {
    if (!node) return
    switch (node.name) {
      case 'VariableName':
        bind(text(node))
        return
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression':
      case 'StarExpression':
      case 'PatternList':
        for (let child = node.firstChild; child; child = child.nextSibling) collectTargets(child, bind)
        return
      default:
        return // member and subscript targets bind nothing
    }
  }
  /** Walrus targets anywhere below `node` outside nested functions and lambdas bind module names. */
  const collectWalrus = (node: SyntaxNode) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.name === 'FunctionDefinition' || child.name === 'LambdaExpression') continue
      if (child.name === 'NamedExpression') collectTargets(child.firstChild, bindData)
      collectWalrus(child)
    }
  }
  const definitionFrom = (
    name: string,
    kind: CodeDefinition['kind'],
    source: string,
    node: SyntaxNode,
  ): CodeDefinition => {
    const definitionReads = new Set<string>()
    const definitionGlobals = new Set<string>()
    node.cursor().iterate((ref) => {
      if (ref.name === 'VariableName' && !isKeywordArgumentName(ref.node)) definitionReads.add(text(ref.node))
      if (ref.name === 'ScopeStatement' && ref.node.firstChild?.name === 'global') {
        for (const g of ref.node.getChildren('VariableName')) definitionGlobals.add(text(g))
      }
    })
    definitionReads.delete(name)
    if (kind === 'import') definitionReads.clear()
    return {
      name,
      kind,
      source,
      line: position(node.from).line,
      reads: [...definitionReads],
      globals: [...definitionGlobals],
    }
  }

  const visitStatement = (statement: SyntaxNode, topLevel: boolean): void => {
    switch (statement.name) {
      case 'FunctionDefinition':
      case 'DecoratedStatement': {
        const definition =
          statement.name === 'FunctionDefinition' ? statement : statement.getChild('FunctionDefinition')
        const nameNode = definition?.getChild('VariableName')
        if (!nameNode) return
        const name = text(nameNode)
        if (topLevel) bindDefinition(definitionFrom(name, 'def', text(statement), statement))
        else bindData(name)
        return
      }
      case 'AssignStatement': {
        const children = childrenOf(statement)
        const lastOp = children.findLastIndex((c) => c.name === 'AssignOp')
        if (lastOp < 0) return // a bare annotation binds nothing
        const targets = children.slice(0, lastOp).filter((c) => c.name !== 'AssignOp' && c.name !== 'TypeDef')
        const value = children[lastOp + 1]
        if (
          topLevel &&
          targets.length === 1 &&
          targets[0]!.name === 'VariableName' &&
          value?.name === 'LambdaExpression' &&
          children.length === lastOp + 2
        ) {
          const name = text(targets[0]!)
          bindDefinition(definitionFrom(name, 'lambda', text(statement), statement))
          return
        }
        const shape = children.length === lastOp + 2 ? scalarShapeOf(value, text) : null
        for (const target of targets)
          if (target.name === 'VariableName') bindData(text(target), shape)
          else collectTargets(target, bindData)
        collectWalrus(statement)
        return
      }
      case 'UpdateStatement': {
        const target = statement.firstChild
        const op = target?.nextSibling
        if (target?.name === 'VariableName' && op?.name === 'UpdateOp')
          bindData(text(target), updateShapeOf(text(target), text(op), op.nextSibling, text))
        else collectTargets(target, bindData)
        collectWalrus(statement)
        return
      }
      case 'ImportStatement':
        for (const item of importItems(statement, text)) {
          if (topLevel) bindDefinition(definitionFrom(item.name, 'import', item.source, statement))
          else bindData(item.name)
        }
        return
      case 'ForStatement': {
        const children = childrenOf(statement)
        const start = children.findIndex((c) => c.name === 'for')
        const end = children.findIndex((c) => c.name === 'in')
        const loopTargets = children.slice(start + 1, end)
        if (loopTargets.length === 1 && loopTargets[0]!.name === 'VariableName')
          bindData(text(loopTargets[0]!), loopShapeOf(children[end + 1], text))
        else for (const target of loopTargets) collectTargets(target, bindData)
        for (const child of children.slice(end)) visitChild(child)
        return
      }
      case 'WithStatement':
      case 'TryStatement': {
        const children = childrenOf(statement)
        children.forEach((child, index) => {
          if (child.name === 'as') collectTargets(children[index + 1] ?? null, bindData)
          visitChild(child)
        })
        return
      }
      default:
        visitChild(statement)
    }
  }
  /** Descends into compound statements (if/while/try bodies) and expressions for walrus targets. */
  const visitChild = (node: SyntaxNode): void => {
    if (node.name === 'Body') {
      for (const child of statementsOf(node)) visitStatement(child, false)
      return
    }
    if (SCOPE_NODES.has(node.name)) {
      if (node.name !== 'FunctionDefinition' && node.name !== 'LambdaExpression') collectWalrus(node)
      return
    }
    if (node.name === 'NamedExpression') collectTargets(node.firstChild, bindData)
    for (let child = node.firstChild; child; child = child.nextSibling) visitChild(child)
  }

  const statements = statementsOf(tree.topNode)
  for (const statement of statements) visitStatement(statement, true)
  for (const name of globals) if (!definitions.has(name)) bindData(name)

  const last = statements.at(-1)
  const analysis: SnippetAnalysis = {
    assigned,
    reads,
    nestedReads,
    definitions,
    awaited,
    scalars,
    ...(last?.name === 'ExpressionStatement' && last.firstChild
      ? {
          lastExpression: { from: last.firstChild.from, to: last.to },
          resultShape: last.firstChild.nextSibling ? null : scalarShapeOf(last.firstChild, text),
        }
      : {}),
    ...(unsupported ? { unsupported } : {}),
    ...(syntaxError ? { syntaxError } : {}),
  }
  return analysis
}

/**
 * The statements of a module or a body, in order: a line of statements separated by `;` (a
 * `StatementGroup`) counts as its statements, so `a = 1; b = 2` binds both and `x = 1; x + 1`
 * ends in an expression.
 */
function statementsOf(node: SyntaxNode): SyntaxNode[] {
  return childrenOf(node).flatMap((child) =>
    child.name === 'StatementGroup' ? childrenOf(child).filter((c) => c.name !== ';') : [child],
  )
}

/** The children of a node, comments left out. */
function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const children: SyntaxNode[] = []
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'Comment') children.push(child)
  }
  return children
}

/** `f(k=1)`: `k` is a keyword, not a read. */
function isKeywordArgumentName(node: SyntaxNode): boolean {
  return node.parent?.name === 'ArgList' && node.nextSibling?.name === 'AssignOp'
}

function computeLineStarts(code: string): number[] {
  const starts = [0]
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

function offsetToLineColumn(lineStarts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0
  let high = lineStarts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (lineStarts[mid]! <= offset) low = mid
    else high = mid - 1
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 }
}
