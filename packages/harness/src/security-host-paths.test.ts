// Security: no host path appears in any text the model reads (issue 10: raw Node errors carrying
// the host workspace path reached the model). Properties over generated paths and messages, for
// the scrubber alone and for the real tools over a real virtual sandbox whose verbs let raw Node
// errors through.
import { readFile as hostReadFile, stat as hostStat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { montyBackend } from '@pyflue/backend-monty'
import type { Sandbox } from '@pyflue/core'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HOST_PATH_PLACEHOLDER, hostPathScrubber } from './host-paths.js'
import { runCodeTool } from './run-code-tool.js'
import { sandboxTools } from './sandbox-tools.js'

const call = { toolCallId: 't', messages: [] }
const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,10}$/).filter((name) => name !== '.' && name !== '..')
const relativePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'))
const filler = fc.stringMatching(/^[A-Za-z ,:'"()-]{0,20}$/)

describe('hostPathScrubber (property)', () => {
  it('leaves no host directory (nor its parent) in a text, and names the sandbox path instead', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 2, maxLength: 4 }),
        fc.constantFrom('/', '/workspace', '/home/user'),
        relativePath,
        filler,
        filler,
        (hostParts, sandboxPath, inner, before, after) => {
          // Under a root no sandbox path uses, so what is left of it can only be a leak.
          const hostDir = `/hostroot/${hostParts.join('/')}`
          const scrub = hostPathScrubber([{ hostDir, sandboxPath }])
          const text = `${before}${hostDir}/${inner}${after} and ${dirname(hostDir)}/owner.json, ${hostDir}`
          const out = scrub(text)
          expect(out.includes('/hostroot')).toBe(false)
          expect(out).toContain(`${sandboxPath === '/' ? '' : sandboxPath}/${inner}`)
          expect(out).toContain(`${HOST_PATH_PLACEHOLDER}/owner.json`)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('does not touch a longer name that only starts like the host directory', () => {
    const scrub = hostPathScrubber([{ hostDir: '/srv/ws', sandboxPath: '/' }])
    expect(scrub("open '/srv/ws/a.txt' and '/srv/ws2/b' and /srv/ws")).toBe(
      `open '/a.txt' and '${HOST_PATH_PLACEHOLDER}/ws2/b' and /`,
    )
  })
})

describe('tool error texts over a real sandbox (property)', () => {
  it('the file tools never show the host workspace path, even for raw Node errors', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'present.txt': 'hello\n' } })
    const hostDir = sandbox.hostMounts()[0]!.hostDir
    // A sandbox verb that lets a raw Node error through: the error names the host path.
    const leaky = Object.assign(Object.create(null) as Sandbox, sandbox, {
      cwd: sandbox.cwd,
      resolvePath: (path: string) => sandbox.resolvePath(path),
      stat: async (path: string) => {
        if (!path.startsWith('leak/')) return sandbox.stat(path)
        const info = await hostStat(join(hostDir, path))
        return { isFile: info.isFile(), isDirectory: info.isDirectory(), size: info.size }
      },
      exists: (path: string) => sandbox.exists(path),
      readdir: (path: string) => sandbox.readdir(path),
      exec: (command: string, options?: Parameters<Sandbox['exec']>[1]) => sandbox.exec(command, options),
      readFile: async (path: string) => {
        if (path.startsWith('leak/')) return hostReadFile(join(hostDir, path), 'utf8')
        return sandbox.readFile(path)
      },
      writeFile: (path: string, content: string | Uint8Array) => sandbox.writeFile(path, content),
      hostMounts: () => sandbox.hostMounts(),
    })
    const tools = sandboxTools(leaky)
    await fc.assert(
      fc.asyncProperty(
        relativePath,
        fc.constantFrom('read', 'edit', 'grep', 'glob', 'bash', 'raw'),
        async (path, kind) => {
          let text: string
          if (kind === 'read') text = (await tools.read.execute!({ path }, call)) as string
          else if (kind === 'edit')
            text = (await tools.edit.execute!({ path, oldText: 'a', newText: 'b' }, call)) as string
          else if (kind === 'grep') text = (await tools.grep.execute!({ pattern: 'x', path }, call)) as string
          else if (kind === 'glob') text = (await tools.glob.execute!({ pattern: '*', path }, call)) as string
          else if (kind === 'bash')
            text = (await tools.bash.execute!({ command: `cat ${path}` }, call)) as string
          else {
            // The raw Node error names the host path; the read tool's text does not.
            const raw = await hostReadFile(join(hostDir, 'leak', path)).then(
              () => undefined,
              (error: unknown) => error as Error,
            )
            expect(raw?.message).toContain(hostDir)
            text = (await tools.read.execute!({ path: `leak/${path}` }, call)) as string
            expect(text).toMatch(/^Error: ENOENT/)
            expect(text).toContain(`/leak/${path}`)
          }
          expect(text.includes(hostDir)).toBe(false)
          expect(text.includes(dirname(hostDir))).toBe(false)
        },
      ),
      { numRuns: 60 },
    )
    await sandbox.close()
  })

  it('run_code never shows the host workspace path in a Python error', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'present.txt': 'hello\n' } })
    const hostDir = sandbox.hostMounts()[0]!.hostDir
    const backend = await montyBackend().createBackend({ sandbox, sessionId: 'host-paths' })
    try {
      const tool = runCodeTool(backend, { sandbox })
      await fc.assert(
        fc.asyncProperty(relativePath, async (path) => {
          const code = `from pathlib import Path\nPath(${JSON.stringify(`/${path}`)}).read_text()`
          const text = (await tool.execute!({ code }, call)) as string
          expect(text).toMatch(/error/i)
          expect(text.includes(hostDir)).toBe(false)
          expect(text.includes(dirname(hostDir))).toBe(false)
        }),
        { numRuns: 15 },
      )
    } finally {
      await backend.close()
      await sandbox.close()
    }
  })
})
