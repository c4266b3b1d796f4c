/** The session store contract suite on a third party's store written only against public types. */
import { describeSessionStoreContract } from '../../src/index.js'
import { MapSessionStore } from './map-session-store.js'

describeSessionStoreContract('third-party MapSessionStore', () => new MapSessionStore())
