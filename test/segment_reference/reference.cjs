// Reads Segment's published action-destinations package (fetched by scripts/segment_reference.sh, never kept in
// the repository) for segment_reference_test: the definitions of the actions kith shares, and the requests
// Segment's own action code builds from an input.
//
//   node reference.cjs DIR INPUT.json   (DIR: where the script put the package and its pinned dependencies)
//
// INPUT: {"definitions": {"braze": ["trackEvent", ...], ...},
//         "cases": [{"destination": "braze", "action": "trackEvent", "settings": {...}, "mapping": {...},
//                    "events": [...], "batch": true}]}
// Output (stdout, JSON): {"definitions": {"braze": {"settings": {...}, "actions": {"trackEvent": {"fields": {...}}}}},
//                         "cases": [{"requests": [{"url", "method", "headers", "body"}], "error": "..."}]}
// The action code runs inside Segment's actions-core (mapping kit, validation, the action's perform or
// performBatch); its HTTP requests are answered here, never sent: 201 {"message": "success"} for Braze, 200
// {"msg": "", "code": "Success", "successCount": N, "failCount": 0} for Iterable.
'use strict'
process.env.TZ = 'UTC' // Segment's servers: a date without a zone is UTC
const fs = require('fs')
const path = require('path')
const Module = require('module')

const [given, inputPath] = process.argv.slice(2)
const dir = given && path.resolve(given)
if (!dir || !inputPath) {
  process.stderr.write('usage: node reference.cjs DIR INPUT.json\n')
  process.exit(2)
}
const from = Module.createRequire(path.join(dir, 'package.json'))

// The fetch of actions-core's request client, replaced before actions-core loads: it records each request.
const requests = []
const crossFetchPath = from.resolve('cross-fetch')
const crossFetch = from(crossFetchPath)
async function recordingFetch(request) {
  const headers = {}
  request.headers.forEach((value, name) => { headers[name] = value })
  const text = await request.text()
  let body = text
  try { body = JSON.parse(text) } catch (e) { /* not JSON: kept as text */ }
  requests.push({ url: request.url, method: request.method, headers, body })
  const iterable = request.url.includes('iterable.com')
  const answer = iterable ? { msg: '', code: 'Success', successCount: 1, failCount: 0 } : { message: 'success' }
  return new crossFetch.Response(JSON.stringify(answer), {
    status: iterable ? 200 : 201,
    headers: { 'content-type': 'application/json' }
  })
}
Object.assign(recordingFetch, crossFetch)
recordingFetch.default = recordingFetch
require.cache[crossFetchPath].exports = recordingFetch

const core = from('@segment/actions-core')
const destinations = {}
function load(name) {
  if (!destinations[name]) {
    destinations[name] = from(path.join(dir, 'package', 'dist', 'destinations', name)).default
  }
  return destinations[name]
}

// A field as the comparison needs it: what kith claims to share.
function fieldOf(f) {
  const out = { type: f.type, required: Boolean(f.required), multiple: Boolean(f.multiple) }
  if (f.default !== undefined) out.default = f.default
  if (f.allowNull) out.allowNull = true
  if (f.label) out.label = f.label
  if (f.choices) out.choices = f.choices.map((c) => (typeof c === 'object' ? c.value : c))
  return out
}

function definitions(wanted) {
  const out = {}
  for (const [name, actions] of Object.entries(wanted)) {
    const d = load(name)
    const settings = {}
    for (const [key, s] of Object.entries(d.authentication?.fields ?? {})) settings[key] = fieldOf(s)
    const acts = {}
    for (const [key, a] of Object.entries(d.actions)) {
      if (!actions.includes(key)) continue
      const fields = {}
      for (const [fk, f] of Object.entries(a.fields)) fields[fk] = fieldOf(f)
      acts[key] = { title: a.title, fields }
    }
    out[name] = { settings, actions: acts }
  }
  return out
}

async function run(c) {
  requests.length = 0
  const destination = new core.Destination(load(c.destination))
  const common = { mapping: c.mapping, settings: c.settings, auth: {}, features: {}, statsContext: {},
                   logger: { info() {}, error() {}, warn() {} }, transactionContext: {}, stateContext: {},
                   subscriptionMetadata: {} }
  try {
    let result
    if (c.batch) {
      result = await destination.executeBatch(c.action, { ...common, events: c.events })
    } else {
      result = await destination.executeAction(c.action, { ...common, event: c.events[0] })
    }
    const out = { requests: requests.slice() }
    // Segment's own destination builds no request: its result is the batch Segment's platform sends.
    if (c.destination === 'segment') out.returned = JSON.parse(JSON.stringify(result ?? null))
    if (c.batch && Array.isArray(result)) out.statuses = result.map((r) => r?.status ?? null)
    return out
  } catch (e) {
    return { requests: requests.slice(), error: String(e?.message ?? e) }
  }
}

async function main() {
  const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'))
  const out = { definitions: definitions(input.definitions ?? {}), cases: [] }
  for (const c of input.cases ?? []) out.cases.push(await run(c))
  process.stdout.write(JSON.stringify(out))
}
main().catch((e) => {
  process.stderr.write(`reference.cjs: ${e?.stack ?? e}\n`)
  process.exit(1)
})
