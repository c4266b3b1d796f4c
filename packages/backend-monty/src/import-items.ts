/**
 * The names one `import` statement binds (`import a.b`, `import a as b`, `from m import x as y`),
 * each with a one-name import statement that binds exactly it, for `snippet-analysis.ts`.
 */
import type { SyntaxNode } from '@lezer/common'

/** The names an import statement binds, each with a one-name import statement that binds it. */
export function importItems(
  statement: SyntaxNode,
  text: (node: SyntaxNode) => string,
): { name: string; source: string }[] {
  const children: SyntaxNode[] = []
  for (let child = statement.firstChild; child; child = child.nextSibling)
    if (child.name !== 'Comment') children.push(child)
  const importIndex = children.findIndex((c) => c.name === 'import')
  const items: { name: string; source: string }[] = []
  const groups: SyntaxNode[][] = [[]]
  for (const child of children.slice(importIndex + 1)) {
    if (child.name === ',') groups.push([])
    else if (child.name !== '(' && child.name !== ')') groups.at(-1)!.push(child)
  }
  const isFrom = children[0]?.name === 'from'
  const moduleText = isFrom
    ? children
        .slice(1, importIndex)
        .map((c) => text(c))
        .join('')
    : ''
  for (const group of groups) {
    if (group.length === 0) continue
    const asIndex = group.findIndex((c) => c.name === 'as')
    const path = (asIndex < 0 ? group : group.slice(0, asIndex)).map((c) => text(c)).join('')
    const alias = asIndex < 0 ? undefined : group[asIndex + 1]
    if (isFrom) {
      const name = alias ? text(alias) : path
      items.push({ name, source: `from ${moduleText} import ${path}${alias ? ` as ${name}` : ''}` })
    } else {
      const name = alias ? text(alias) : path.split('.')[0]!
      items.push({ name, source: `import ${path}${alias ? ` as ${name}` : ''}` })
    }
  }
  return items
}
