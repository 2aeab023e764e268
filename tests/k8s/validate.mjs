#!/usr/bin/env node
// Checks Kubernetes manifests against the upstream schemas that the npm packages
// kubernetes-models (core API), @kubernetes-models/karpenter (karpenter.sh,
// karpenter.k8s.aws), @kubernetes-models/keda (keda.sh) and @kubernetes-models/gke
// (cloud.google.com ComputeClass, ...) ship.
//
//   node tests/k8s/validate.mjs FILE...
//
// Each file is read as multi-document YAML; empty documents are skipped. Each
// document's model class is picked by apiVersion and kind, built, and its
// .validate() run (types, formats, enums, required fields). The models accept
// fields their schema does not declare, which the API server refuses (kubectl's
// default --validate=strict), so the validator also reports those: it runs the same
// schema over a copy of the document that records which fields the schema looked
// at, and a field of an object with declared properties that was never looked at
// is unknown ("unknown field spec.foo"). Objects the schema reads as maps (labels,
// limits) or leaves open are not checked for unknown fields.
//
// One line per document:
//   ok FILE#N apiVersion kind name
//   FAIL FILE#N apiVersion kind name: <first error>
//   not checked FILE#N apiVersion kind name   (kinds in NOT_CHECKED only)
// Exit status: 2 if the packages are not installed (npm ci --prefix tests/k8s) or
// a file could not be read or parsed as YAML, else 1 if a document failed, else 0.

import { readFileSync } from "node:fs";

// Kinds with no schema in any npm package: printed as "not checked" instead of
// failing. Keep this to kinds that truly have none.
const NOT_CHECKED = new Set([
  // Azure's Karpenter provider (karpenter-provider-azure): no @kubernetes-models package.
  "karpenter.azure.com/v1beta1 AKSNodeClass",
]);

// Where to look for a group's models, in order. The core group ("v1") and the
// Kubernetes API groups are in kubernetes-models; the others in their packages.
const PACKAGES = ["kubernetes-models", "@kubernetes-models/karpenter", "@kubernetes-models/keda", "@kubernetes-models/gke"];

// One model a package, imported before any document: a package that is missing
// would otherwise read as "no schema" for each of its kinds.
const PROBES = [
  "kubernetes-models/v1/Service",
  "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool",
  "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject",
  "@kubernetes-models/gke/cloud.google.com/v1/ComputeClass",
];

const modelCache = new Map();

// The model class for apiVersion and kind, or null when no package has one.
async function modelFor(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (modelCache.has(key)) return modelCache.get(key);
  let found = null;
  const parts = apiVersion.split("/");
  const safe = (s) => /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(s);
  if (/^[A-Z][A-Za-z0-9]*$/.test(kind) && parts.length <= 2 && parts.every(safe)) {
    const path = parts.length === 1 ? `v1/${kind}` : `${parts[0]}/${parts[1]}/${kind}`;
    if (parts.length === 2 || parts[0] === "v1") {
      for (const pkg of PACKAGES) {
        let mod;
        try {
          mod = await import(`${pkg}/${path}`);
        } catch (e) {
          if (e && (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || e.code === "ERR_MODULE_NOT_FOUND")) continue;
          throw e;
        }
        const cls = mod[kind];
        // Only top-level resources carry apiVersion and kind (not DeploymentSpec and the like).
        if (typeof cls === "function" && cls.apiVersion === apiVersion && cls.kind === kind) {
          found = cls;
          break;
        }
      }
    }
  }
  modelCache.set(key, found);
  return found;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// A copy of data whose objects record which of their keys the schema read:
// records gets one entry per object. A schema reads each property it declares
// (data.name), and each value of a map (labels, limits) as it walks the keys; it
// does not read a key it has no schema for. Listing the keys alone (Object.keys for
// minProperties, or a for-in) also asks for each key's descriptor, so those count
// as reads only where the keys were never listed.
function tracked(data, path, records) {
  if (Array.isArray(data)) return data.map((v, i) => tracked(v, [...path, i], records));
  if (!isPlainObject(data)) return data;
  const copy = {};
  for (const [k, v] of Object.entries(data)) copy[k] = tracked(v, [...path, k], records);
  const rec = { path, keys: Object.keys(data), read: new Set(), described: new Set(), listed: false };
  records.push(rec);
  return new Proxy(copy, {
    get(t, k, r) {
      if (typeof k === "string") rec.read.add(k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      if (typeof k === "string") rec.read.add(k);
      return Reflect.has(t, k);
    },
    getOwnPropertyDescriptor(t, k) {
      if (typeof k === "string") rec.described.add(k);
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
    ownKeys(t) {
      rec.listed = true;
      return Reflect.ownKeys(t);
    },
  });
}

// The first field the schema does not know, as its path, or null.
function unknownField(cls, doc) {
  const records = [];
  const copy = tracked(doc, [], records);
  try {
    cls.prototype.validate.call(copy);
  } catch {
    return null; // already reported by the plain validation
  }
  for (const rec of records) {
    const read = rec.listed ? rec.read : new Set([...rec.read, ...rec.described]);
    if (read.size === 0) continue; // an object the schema leaves open (no properties, no map)
    for (const k of rec.keys) {
      if (!read.has(k)) return fieldPath([...rec.path, k]);
    }
  }
  return null;
}

// A field's path as "spec.template.spec.containers[0].image", a key with dots or
// slashes as ["nvidia.com/gpu"].
function fieldPath(segments) {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || "(document)";
}

// The schema's first error in one line: where, and what the schema wanted there
// (all its alternatives, for a field that may take several forms).
function firstError(e) {
  const errs = e && Array.isArray(e.errors) ? e.errors : null;
  if (!errs || !errs.length) return String((e && e.message) || e).split("\n")[0];
  const at = errs[0].instancePath;
  const segments = at
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
  const here = errs.filter((x) => x.instancePath === at);
  const specific = here.filter((x) => !["oneOf", "anyOf"].includes(x.keyword));
  const wants = [];
  for (const x of specific.length ? specific : here) {
    let msg = x.message ?? x.keyword;
    if (x.params && Array.isArray(x.params.allowedValues)) msg += ` (${x.params.allowedValues.join(", ")})`;
    if (!wants.includes(msg)) wants.push(msg);
  }
  return `${fieldPath(segments)} ${wants.join(" or ")}`.replace(/\s+/g, " ");
}

async function checkDocument(doc) {
  if (!isPlainObject(doc)) return { status: "FAIL", error: "document is not a mapping" };
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || !apiVersion) return { status: "FAIL", error: "no apiVersion" };
  if (typeof kind !== "string" || !kind) return { status: "FAIL", error: "no kind" };
  const cls = await modelFor(apiVersion, kind);
  if (!cls) {
    if (NOT_CHECKED.has(`${apiVersion} ${kind}`)) return { status: "not checked" };
    return { status: "FAIL", error: `no schema for ${apiVersion} ${kind}` };
  }
  try {
    new cls(doc).validate();
  } catch (e) {
    return { status: "FAIL", error: firstError(e) };
  }
  const unknown = unknownField(cls, doc);
  if (unknown) return { status: "FAIL", error: `unknown field ${unknown}` };
  return { status: "ok" };
}

const field = (v) => (typeof v === "string" && v ? v : v === undefined || v === null ? "-" : JSON.stringify(v));

async function main(files) {
  if (!files.length) {
    console.error("usage: node tests/k8s/validate.mjs FILE...");
    return 2;
  }
  let parseAllDocuments;
  try {
    ({ parseAllDocuments } = await import("yaml"));
    for (const probe of PROBES) await import(probe);
  } catch (e) {
    console.error(`validate.mjs: ${String(e.message).split("\n")[0]}`);
    console.error("validate.mjs: install its packages first: npm ci --prefix tests/k8s");
    return 2;
  }
  let unreadable = false;
  let failed = false;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      console.log(`FAIL ${file}: cannot read: ${e.message}`);
      unreadable = true;
      continue;
    }
    // YAML 1.1, as Kubernetes reads it (sigs.k8s.io/yaml): an unquoted yes/no/on/off is a boolean.
    const docs = parseAllDocuments(text, { version: "1.1" });
    const parseErrors = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors ?? []);
    if (!Array.isArray(docs) || parseErrors.length) {
      const msg = parseErrors.length ? parseErrors[0].message : "not YAML";
      console.log(`FAIL ${file}: cannot parse: ${msg.split("\n")[0]}`);
      unreadable = true;
      continue;
    }
    let n = 0;
    for (const d of docs) {
      n += 1; // documents are numbered as they stand in the file, from 1, empty ones too
      if (d.contents === null) continue;
      let doc;
      try {
        doc = d.toJS({ maxAliasCount: 100 });
      } catch (e) {
        console.log(`FAIL ${file}#${n}: cannot parse: ${String(e.message).split("\n")[0]}`);
        unreadable = true;
        continue;
      }
      if (doc === null || doc === undefined) continue;
      const r = await checkDocument(doc);
      const meta = isPlainObject(doc) ? doc : {};
      const name = isPlainObject(meta.metadata) ? meta.metadata.name : undefined;
      const line = `${file}#${n} ${field(meta.apiVersion)} ${field(meta.kind)} ${field(name)}`;
      if (r.status === "FAIL") failed = true;
      console.log(r.status === "FAIL" ? `FAIL ${line}: ${r.error}` : `${r.status} ${line}`);
    }
  }
  return unreadable ? 2 : failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
