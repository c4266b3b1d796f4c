import { describe, expect, it } from 'vitest'
import { analyzeShellCommand } from './shell-command.js'

describe('analyzeShellCommand', () => {
  it.each([
    ['ls -la', ['ls'], false],
    ["'rm' -rf x", ['rm'], false],
    ['FOO=1 BAR=2 env', ['env'], false],
    ['cat a.txt | wc -l', ['cat', 'wc'], true],
    ['ls; rm x', ['ls', 'rm'], true],
    ['ls && rm x', ['ls', 'rm'], true],
    ['ls || rm x', ['ls', 'rm'], true],
    ['ls\nrm x', ['ls', 'rm'], true],
    ['sleep 1 &', ['sleep'], true],
    ['(rm x)', ['rm'], true],
    ['{ rm x; }', ['rm', '}'], true],
    ['! rm x', ['rm'], false],
    ['if true; then rm x; fi', ['true', 'rm', 'fi'], true],
    ['echo "a; b && c | d"', ['echo'], false],
    ["echo 'x|y'", ['echo'], false],
    ['echo a\\;b', ['echo'], false],
    ['echo hi # ; rm -rf /', ['echo'], false],
    ['ls 2>&1', ['ls'], false],
  ])('%j → commands %j, compound %s', (command, names, compound) => {
    const analysis = analyzeShellCommand(command)
    expect(analysis.commands.map((c) => c.name)).toEqual(names)
    expect(analysis.compound).toBe(compound)
  })

  it.each([
    ['echo $(rm x)', true],
    ['echo `rm x`', true],
    ['echo "$(rm x)"', true],
    ['diff <(ls a) <(ls b)', true],
    ["echo '$(not run)'", false],
    ['echo $HOME $' + '{PATH}', false],
  ])('%j substitution: %s', (command, substitution) => {
    expect(analyzeShellCommand(command).substitution).toBe(substitution)
  })

  it.each([
    ['echo x > out.txt', true],
    ['echo x >> out.txt', true],
    ['echo x 2> err.txt', true],
    ['echo x &> all.txt', true],
    ['echo x >| forced.txt', true],
    ['echo x > /dev/null', false],
    ['echo x 2>/dev/null', false],
    ['echo x 2>&1', false],
    ['echo x >&2', false],
    ['cat < in.txt', false],
    ['echo ">"', false],
  ])('%j writes a file: %s', (command, writes) => {
    expect(analyzeShellCommand(command).writeRedirect).toBe(writes)
  })

  it('flags an unclosed quote as incomplete (and compound, so strict policies refuse it)', () => {
    const analysis = analyzeShellCommand('echo "unclosed; rm -rf /')
    expect(analysis.incomplete).toBe(true)
    expect(analysis.compound).toBe(true)
  })

  it('keeps words with quotes removed', () => {
    expect(analyzeShellCommand(`grep -e "a b" 'c d' e\\ f`).commands[0]!.words).toEqual([
      'grep',
      '-e',
      'a b',
      'c d',
      'e f',
    ])
  })
})
