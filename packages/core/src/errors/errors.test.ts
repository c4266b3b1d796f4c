import { describe, expect, it } from 'vitest'
import { PackageNotInstalledError, ResultValidationError } from './configuration-errors.js'
import { ErrorCodes, isPyFlueError, PyFlueError } from './pyflue-error.js'
import {
  ExecutionCrashedError,
  PythonRuntimeError,
  PythonSyntaxError,
  ResourceLimitError,
} from './python-errors.js'
import { SandboxFileError } from './sandbox-errors.js'

describe('errors', () => {
  it('every error has its class name and a stable code', () => {
    const error = new ResourceLimitError({ limit: 'maxDurationSecs', value: 5 })
    expect(error).toBeInstanceOf(PyFlueError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ResourceLimitError')
    expect(error.code).toBe(ErrorCodes.RESOURCE_LIMIT)
    expect(error.message).toBe('The run exceeded its maxDurationSecs limit (5).')
  })

  it('an execution crash names how the process ended', () => {
    const error = new ExecutionCrashedError({ exitCode: null, signal: 'SIGKILL' })
    expect(error.code).toBe(ErrorCodes.EXECUTION_CRASHED)
    expect(error.name).toBe('ExecutionCrashedError')
    expect(error.signal).toBe('SIGKILL')
    expect(error.message).toContain('signal SIGKILL')
    expect(new ExecutionCrashedError({ exitCode: 3, signal: null }).message).toContain('exit code 3')
  })

  it('isPyFlueError recognises instances and the duck-typed form third parties throw', () => {
    expect(isPyFlueError(new SandboxFileError({ errno: 'ENOENT', path: '/a', operation: 'readFile' }))).toBe(
      true,
    )
    const foreign = Object.assign(new Error('x'), { name: 'SandboxFileError', code: 'SANDBOX_FILE' })
    expect(isPyFlueError(foreign, 'SANDBOX_FILE')).toBe(true)
    expect(isPyFlueError(foreign, 'CLOSED')).toBe(false)
    expect(isPyFlueError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false)
    expect(isPyFlueError('SANDBOX_FILE')).toBe(false)
  })

  it('a runtime error formats its traceback as Python prints it', () => {
    const error = new PythonRuntimeError({
      excType: 'ZeroDivisionError',
      message: 'division by zero',
      traceback: [
        { filename: '<snippet>', line: 4, name: '<module>', source: 'f(0)' },
        { filename: '<snippet>', line: 2, name: 'f', source: '  return 1 / x' },
      ],
    })
    expect(error.message).toBe('ZeroDivisionError: division by zero (line 2)')
    expect(error.formatTraceback()).toBe(
      [
        'Traceback (most recent call last):',
        '  File "<snippet>", line 4, in <module>',
        '    f(0)',
        '  File "<snippet>", line 2, in f',
        '    return 1 / x',
        'ZeroDivisionError: division by zero',
      ].join('\n'),
    )
  })

  it('a syntax error names its line', () => {
    const error = new PythonSyntaxError({ message: 'invalid syntax', line: 3, column: 7 })
    expect(error).toMatchObject({ excType: 'SyntaxError', line: 3, column: 7, code: 'PYTHON_SYNTAX' })
    expect(error.message).toBe('SyntaxError: invalid syntax (line 3)')
  })

  it('the package error names the install command', () => {
    const error = new PackageNotInstalledError({
      packageName: '@pyflue/sandbox-e2b',
      what: "The sandbox 'e2b'",
    })
    expect(error.installCommand).toBe('pnpm add @pyflue/sandbox-e2b')
    expect(error.message).toContain('pnpm add @pyflue/sandbox-e2b')
  })

  it('a validation error lists issues with their paths', () => {
    const error = new ResultValidationError(
      [{ message: 'Expected number', path: ['rows', { key: 2 }, 'score'] }],
      {},
    )
    expect(error.message).toBe('The result failed validation:\n- rows.2.score: Expected number')
  })
})
