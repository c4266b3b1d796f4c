export * from './expect-errors.js'
export * from './python-backend-contract.js'
export * from './readme-examples.js'
export * from './sandbox-contract.js'
