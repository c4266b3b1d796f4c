import { checkCommand, PyFlueRegistry } from '@pyflue/core'

/**
 * The demo grows with the packages: for now it shows the registry and the sandbox policy of
 * @pyflue/core at work.
 */
const registry = new PyFlueRegistry()
console.log('PyFlue demo')
console.log('Registered Python backends:', registry.pythonBackendNames().join(', '))
console.log('Registered sandboxes:', registry.sandboxNames().join(', '))
for (const command of ['ls -la', 'cat data.csv | wc -l', 'rm -rf / ; echo done']) {
  const refusal = checkCommand({ allowedCommands: ['ls', 'cat', 'wc'] }, command)
  console.log(
    `policy(allowedCommands: ls, cat, wc) ${JSON.stringify(command)} → ${refusal ? `refused: ${refusal.message}` : 'allowed'}`,
  )
}
