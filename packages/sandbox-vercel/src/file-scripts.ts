/**
 * The bash programs behind the file verbs that the Vercel Sandbox API has no endpoint for
 * (`stat`, `readdir`, `exists`, `mkdir`, `rm`) and the probes around `readFile` / `writeFile`.
 * Each runs as `bash -c SCRIPT pyflue ARG…`: paths travel as positional arguments, never spliced
 * into the script text, so no path can inject shell syntax. A failure the caller can act on is
 * reported on stderr as one line `__pyflue_errno__:<ERRNO>` followed by exit status 1.
 */

/** The marker a script prints on stderr before failing with an errno. */
export const ERRNO_MARKER = '__pyflue_errno__:'

const PRELUDE = `set -u
errno() { printf '${ERRNO_MARKER}%s\\n' "$1" >&2; exit 1; }
run() {
  local out
  out=$("$@" 2>&1) && return 0
  printf '%s\\n' "$out" >&2
  case $out in
    *"Permission denied"*) errno EACCES ;;
    *"No such file"*) errno ENOENT ;;
    *"Not a directory"*) errno ENOTDIR ;;
    *"File exists"*) errno EEXIST ;;
    *"Is a directory"*) errno EISDIR ;;
    *"not empty"*) errno ENOTEMPTY ;;
    *) errno EIO ;;
  esac
}
`

/** `$1` path. Prints `<raw mode hex>|<size>|<mtime seconds.nanos>` of the target, then `1`/`0` for "is a symlink". */
export const STAT_SCRIPT = `${PRELUDE}
p=$1
[ -e "$p" ] || errno ENOENT
out=$(stat -L -c '%f|%s|%.9Y' -- "$p" 2>&1) || { printf '%s\\n' "$out" >&2; errno EIO; }
printf '%s\\n' "$out"
if [ -L "$p" ]; then echo 1; else echo 0; fi
`

/** `$1` path. Prints each entry name followed by a NUL byte (names may hold newlines). */
export const READDIR_SCRIPT = `${PRELUDE}
p=$1
[ -e "$p" ] || errno ENOENT
[ -d "$p" ] || errno ENOTDIR
{ [ -r "$p" ] && [ -x "$p" ]; } || errno EACCES
shopt -s dotglob nullglob
for entry in "$p"/*; do printf '%s\\0' "\${entry##*/}"; done
`

/** `$1` path. Exit status 0 when it exists (a symlink counts when its target exists). */
export const EXISTS_SCRIPT = `[ -e "$1" ]`

/** `$1` path, `$2` `1` for recursive. Node's `fs.mkdir` semantics. */
export const MKDIR_SCRIPT = `${PRELUDE}
p=$1
if [ "$2" = 1 ]; then
  [ -d "$p" ] && exit 0
  { [ -e "$p" ] || [ -L "$p" ]; } && errno EEXIST
  q=$p
  while [ "$q" != / ] && [ "$q" != . ]; do
    q=$(dirname -- "$q")
    if [ -e "$q" ] && [ ! -d "$q" ]; then errno ENOTDIR; fi
  done
  run mkdir -p -- "$p"
else
  { [ -e "$p" ] || [ -L "$p" ]; } && errno EEXIST
  parent=$(dirname -- "$p")
  [ -e "$parent" ] || errno ENOENT
  [ -d "$parent" ] || errno ENOTDIR
  run mkdir -- "$p"
fi
`

/** `$1` path, `$2` `1` for recursive, `$3` `1` for force. Node's `fs.rm` semantics. */
export const RM_SCRIPT = `${PRELUDE}
p=$1
if [ ! -e "$p" ] && [ ! -L "$p" ]; then
  [ "$3" = 1 ] && exit 0
  errno ENOENT
fi
if [ -d "$p" ] && [ ! -L "$p" ]; then
  [ "$2" = 1 ] || errno EISDIR
  run rm -rf -- "$p"
else
  run rm -f -- "$p"
fi
`

/**
 * `$1` path. Before a write: refuses a directory (EISDIR), creates missing parents, and prints
 * the existing file's permission bits in octal (empty for a new file), a newline, and the path
 * the bytes must go to: symlinks resolved, so that writing through a link replaces the link's
 * target as Node's `fs.writeFile` does (a tar upload would otherwise replace the link), and the
 * mode kept, as Node keeps it (a tar entry would otherwise reset it).
 */
export const PREPARE_WRITE_SCRIPT = `${PRELUDE}
p=$1
[ -d "$p" ] && errno EISDIR
parent=$(dirname -- "$p")
if [ ! -d "$parent" ]; then
  q=$parent
  while [ "$q" != / ] && [ "$q" != . ]; do
    if [ -e "$q" ] && [ ! -d "$q" ]; then errno ENOTDIR; fi
    q=$(dirname -- "$q")
  done
  run mkdir -p -- "$parent"
fi
target=$(realpath -m -- "$p") || errno EIO
[ -d "$target" ] && errno EISDIR
mode=
[ -f "$target" ] && mode=$(stat -c %a -- "$target")
printf '%s\n%s' "$mode" "$target"
`

/** `$1` path. After a failed read: says why, as an errno. */
export const CLASSIFY_READ_SCRIPT = `${PRELUDE}
p=$1
if [ -d "$p" ]; then errno EISDIR; fi
if [ -e "$p" ]; then
  [ -r "$p" ] || errno EACCES
  errno EIO
fi
q=$(dirname -- "$p")
while [ "$q" != / ] && [ "$q" != . ]; do
  if [ -e "$q" ] && [ ! -d "$q" ]; then errno ENOTDIR; fi
  q=$(dirname -- "$q")
done
errno ENOENT
`
