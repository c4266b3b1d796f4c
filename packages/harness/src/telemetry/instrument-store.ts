/**
 * A harness `SessionStore` whose loads, saves and deletes are `pyflue.store.*` spans (with the
 * session id as `gen_ai.conversation.id`), and whose saves refused with `SessionConflictError`
 * are counted in `pyflue.store.conflicts`. Everything else (a bridge's `release`, `instanceof`)
 * goes to the store unchanged (a `Proxy`).
 */
import {
  TELEMETRY_ATTRIBUTES as ATTR,
  ErrorCodes,
  instrumented,
  TELEMETRY_SPANS as SPAN,
  type Telemetry,
} from '@pyflue/core'
import type { SessionRecord, SessionStore } from '../session-store.js'

/** `store` with its operations traced; `store` itself when telemetry is off. */
export function instrumentSessionStore<S extends SessionStore>(store: S, telemetry: Telemetry): S {
  if (!telemetry.enabled) return store
  const load = (id: string) =>
    telemetry.spanAsync(SPAN.storeLoad, { [ATTR.conversationId]: id }, (span) =>
      store.load(id).then((record) => {
        span?.setAttribute(ATTR.found, record !== undefined)
        return record
      }),
    )
  const save = (id: string, record: SessionRecord) =>
    telemetry.spanAsync(SPAN.storeSave, { [ATTR.conversationId]: id }, () =>
      store.save(id, record).catch((error: unknown) => {
        if ((error as { code?: unknown } | null)?.code === ErrorCodes.SESSION_CONFLICT)
          telemetry.recordConflict()
        throw error
      }),
    )
  const remove = (id: string) =>
    telemetry.span(SPAN.storeDelete, { [ATTR.conversationId]: id }, () => store.delete(id))
  return instrumented(store, telemetry, { load, save, delete: remove })
}
