#!/usr/bin/env node
// The `pyflue-mcp` command's entry: a committed file, so installing the workspace links the bin
// before the package is built; the command itself is dist/cli.js (built from src/cli.ts).
import '../dist/cli.js'
