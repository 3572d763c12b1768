#!/usr/bin/env node
// Validates FHIR R4 JSON resources for Artery's tests with a third-party
// validator: the `fhir` npm package (lantanagroup FHIR.js), which checks
// every element against the R4 StructureDefinitions it ships (cardinality,
// required elements, element types, unknown elements, required value sets).
//
// FHIR.js tests its primitive formats with unanchored patterns ("2020-13-45"
// passes as a dateTime because "2020" matches) and does not apply the JSON
// representation rules, so this script adds, from the R4 specification:
//  - the primitive types' regular expressions, anchored (datatypes.html);
//  - the JSON rules: no null, no empty string, array or object (json.html);
//  - at most one member of a choice element (value[x]) at resource level;
//  - the Bundle invariants bdl-1, 2, 3, 4, 7 and, in a transaction or batch,
//    every urn:uuid reference resolving to an entry's fullUrl;
//  - Observation obs-6 (dataAbsentReason only without a value).
//
// Usage: node validate.mjs [--warnings] [FILE...]   (no FILE or "-": stdin)
// Prints one line per problem: "<source>: <severity> <location>: <message>".
// Exit 0: every input valid; 1: a problem was found; 2: usage or I/O error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Fhir, ParseConformance, Versions } = require('fhir');

const usage = 'usage: node validate.mjs [--warnings] [FILE...]   (no FILE or "-": read stdin)';

// R4 primitive types (http://hl7.org/fhir/R4/datatypes.html), whole value.
const yearRe = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const monthRe = '(0[1-9]|1[0-2])';
const dayRe = '(0[1-9]|[1-2][0-9]|3[0-1])';
const timeRe = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const zoneRe = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';
const primitive = {
  boolean: { json: 'boolean' },
  integer: { json: 'number', re: /^-?([0]|([1-9][0-9]*))$/, min: -2147483648, max: 2147483647 },
  unsignedInt: { json: 'number', re: /^([0]|([1-9][0-9]*))$/, min: 0, max: 2147483647 },
  positiveInt: { json: 'number', re: /^[1-9][0-9]*$/, min: 1, max: 2147483647 },
  decimal: { json: 'number' },
  string: { json: 'string', re: /^[ \r\n\t\S]+$/ },
  markdown: { json: 'string', re: /^[ \r\n\t\S]+$/ },
  xhtml: { json: 'string' },
  code: { json: 'string', re: /^[^\s]+( [^\s]+)*$/ },
  id: { json: 'string', re: /^[A-Za-z0-9\-.]{1,64}$/ },
  uri: { json: 'string', re: /^\S*$/ },
  url: { json: 'string', re: /^\S*$/ },
  canonical: { json: 'string', re: /^\S*$/ },
  oid: { json: 'string', re: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/ },
  uuid: { json: 'string', re: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ },
  base64Binary: { json: 'string', re: /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/ },
  date: { json: 'string', re: new RegExp(`^${yearRe}(-${monthRe}(-${dayRe})?)?$`) },
  dateTime: { json: 'string', re: new RegExp(`^${yearRe}(-${monthRe}(-${dayRe}(T${timeRe}${zoneRe})?)?)?$`) },
  instant: { json: 'string', re: new RegExp(`^${yearRe}-${monthRe}-${dayRe}T${timeRe}${zoneRe}$`) },
  time: { json: 'string', re: new RegExp(`^${timeRe}$`) },
};

function checkPrimitive(type, value, location, out) {
  const rule = primitive[type];
  if (!rule) return;
  if (typeof value !== rule.json) {
    if (rule.json !== 'string') return;  // FHIR.js reports a wrong number or boolean itself
    out.push(error(location, `${type} expects a JSON ${rule.json}, got ${JSON.stringify(value)}`));
    return;
  }
  if (rule.json === 'number') {
    if (!Number.isFinite(value)) out.push(error(location, `${type} value ${value} is not a finite number`));
    else if (rule.re && !rule.re.test(String(value))) out.push(error(location, `${type} value ${value} is not an ${type}`));
    else if (rule.min !== undefined && (value < rule.min || value > rule.max))
      out.push(error(location, `${type} value ${value} is out of range`));
  } else if (rule.re && !rule.re.test(value)) {
    out.push(error(location, `invalid ${type} ${JSON.stringify(value)}`));
  }
}

function error(location, message) {
  return { location, severity: 'error', message };
}

// json.html: "empty" values are not allowed anywhere; null only inside an
// array of primitives that has its "_name" twin carrying the extensions.
function checkJsonRules(node, location, out, parent, key) {
  if (node === null) {  // array items are checked by their array, below
    out.push(error(location, 'null is not allowed in FHIR JSON'));
    return;
  }
  if (Array.isArray(node)) {
    if (node.length === 0) out.push(error(location, 'an empty array is not allowed in FHIR JSON'));
    const hasTwin = parent && !Array.isArray(parent) && Array.isArray(parent['_' + key]);
    node.forEach((item, i) => {
      if (item === null && !hasTwin) out.push(error(`${location}[${i}]`, 'null is not allowed in FHIR JSON'));
      else if (item !== null) checkJsonRules(item, `${location}[${i}]`, out, node, key);
    });
    return;
  }
  if (typeof node === 'object') {
    const keys = Object.keys(node);
    if (keys.length === 0) out.push(error(location, 'an empty object is not allowed in FHIR JSON'));
    for (const k of keys) checkJsonRules(node[k], location ? `${location}.${k}` : k, out, node, k);
    return;
  }
  if (typeof node === 'string' && node.length === 0) out.push(error(location, 'an empty string is not allowed in FHIR JSON'));
}

function resourceChecks(parser, resource, location) {
  const out = [];
  const definition = parser.parsedStructureDefinitions[resource.resourceType];
  if (definition) {
    const choices = new Map();
    for (const p of definition._properties) {
      if (p._choice && Object.prototype.hasOwnProperty.call(resource, p._name)) {
        const seen = choices.get(p._choice) || [];
        seen.push(p._name);
        choices.set(p._choice, seen);
      }
    }
    for (const [choice, names] of choices)
      if (names.length > 1) out.push(error(`${location}.${choice}[x]`, `only one of ${names.join(', ')} is allowed`));
  }
  if (resource.resourceType === 'Observation' && resource.dataAbsentReason) {
    const valued = Object.keys(resource).some((k) => k.startsWith('value') && k.length > 5);
    if (valued) out.push(error(`${location}.dataAbsentReason`, 'obs-6: dataAbsentReason SHALL only be present if value[x] is not'));
  }
  if (resource.resourceType === 'Bundle') out.push(...bundleChecks(resource, location));
  return out;
}

function bundleChecks(bundle, location) {
  const out = [];
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const type = bundle.type;
  if (bundle.total !== undefined && type !== 'searchset' && type !== 'history')
    out.push(error(`${location}.total`, 'bdl-1: total only when a search or history'));
  const fullUrls = new Set();
  const seen = new Set();
  entries.forEach((entry, i) => {
    const at = `${location}.entry[${i}]`;
    if (entry.search && type !== 'searchset') out.push(error(`${at}.search`, 'bdl-2: entry.search only when a search'));
    if (!entry.request && (type === 'batch' || type === 'transaction' || type === 'history'))
      out.push(error(`${at}.request`, 'bdl-3: entry.request mandatory for batch/transaction/history'));
    if (!entry.response && (type === 'batch-response' || type === 'transaction-response' || type === 'history'))
      out.push(error(`${at}.response`, 'bdl-4: entry.response mandatory for batch-response/transaction-response/history'));
    if (entry.fullUrl) {
      fullUrls.add(entry.fullUrl);
      const key = `${entry.fullUrl}|${entry.resource?.meta?.versionId ?? ''}`;
      if (seen.has(key) && type !== 'history')
        out.push(error(`${at}.fullUrl`, `bdl-7: fullUrl ${entry.fullUrl} is not unique in the Bundle`));
      seen.add(key);
      if (entry.resource?.id && entry.fullUrl.startsWith('urn:uuid:') === false &&
          !entry.fullUrl.endsWith(`/${entry.resource.resourceType}/${entry.resource.id}`) && !entry.fullUrl.startsWith('urn:'))
        out.push(error(`${at}.fullUrl`, `fullUrl ${entry.fullUrl} does not name ${entry.resource.resourceType}/${entry.resource.id}`));
    }
  });
  if (type === 'transaction' || type === 'batch') {
    entries.forEach((entry, i) => {
      for (const ref of referencesIn(entry.resource)) {
        if (ref.startsWith('urn:uuid:') && !fullUrls.has(ref))
          out.push(error(`${location}.entry[${i}].resource`, `reference ${ref} resolves to no entry's fullUrl`));
      }
    });
  }
  return out;
}

function referencesIn(node, found = []) {
  if (Array.isArray(node)) node.forEach((n) => referencesIn(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') found.push(v);
      else if (k !== 'resource') referencesIn(v, found);  // a nested resource checks its own
    }
  }
  return found;
}

function validator() {
  const parser = new ParseConformance(true, Versions.R4);  // the R4 definitions FHIR.js ships
  const fhir = new Fhir(parser);
  return (resource) => {
    const extra = [];
    const result = fhir.validate(resource, {
      errorOnUnexpected: true,
      onBeforeValidateResource: (r) => resourceChecks(parser, r, r.id ? `${r.resourceType}/${r.id}` : r.resourceType),
      onBeforeValidateProperty: (_root, property, location, value) => {
        const values = Array.isArray(value) && property._multiple ? value : [value];
        values.forEach((v, i) => {
          if (v === null || v === undefined) return;
          checkPrimitive(property._type, v, values.length > 1 || Array.isArray(value) ? `${location}[${i}]` : location, extra);
        });
        return [];
      },
    });
    checkJsonRules(resource, resource.resourceType ?? '', extra);
    return result.messages.concat(extra);
  };
}

function main(argv) {
  let warnings = false;
  const files = [];
  for (const arg of argv) {
    if (arg === '--warnings') warnings = true;
    else if (arg === '-h' || arg === '--help') { console.log(usage); return 0; }
    else if (arg.startsWith('-') && arg !== '-') { console.error(`unknown option ${arg}\n${usage}`); return 2; }
    else files.push(arg);
  }
  if (files.length === 0) {
    if (process.stdin.isTTY) { console.error(usage); return 2; }
    files.push('-');
  }
  const validate = validator();
  let problems = 0;
  for (const file of files) {
    const source = file === '-' ? 'stdin' : file;
    let text;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      console.error(`${source}: cannot read: ${e.message}`);
      return 2;
    }
    if (file === '-' && argv.length === 0 && text.trim() === '') { console.error(usage); return 2; }
    let resource;
    try {
      resource = JSON.parse(text);
    } catch (e) {
      console.log(`${source}: fatal : not JSON: ${e.message}`);
      problems++;
      continue;
    }
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
      console.log(`${source}: fatal : a FHIR resource is a JSON object`);
      problems++;
      continue;
    }
    for (const m of validate(resource)) {
      const isProblem = m.severity === 'error' || m.severity === 'fatal';
      if (isProblem) problems++;
      if (isProblem || (warnings && m.severity === 'warning')) {
        // A resource inside a Bundle or contained: FHIR.js names where it sits in resourceId.
        const nested = m.resourceId && !String(m.resourceId).startsWith('#') && !String(m.location).startsWith(m.resourceId);
        const where = nested ? `${m.resourceId} ${m.location}` : m.location;
        console.log(`${source}: ${m.severity} ${where}: ${m.message}`);
      }
    }
  }
  return problems === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
