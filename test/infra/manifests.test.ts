import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { parseAllDocuments } from 'yaml';
import { knownEnvNames } from '@rag/config';
import { ASK_QUEUE } from '@rag/queue';
import { ROOT } from '@rag/testing';

const INFRA = path.join(ROOT, 'infra');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const yamlDocs = (p: string) => parseAllDocuments(read(p), { merge: true }).map((d) => d.toJS());
const walk = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));

// Variables our containers may carry that the config schema does not parse, each with its reason.
const NOT_CONFIG: Record<string, string> = { REDIS_PASSWORD: "read by KEDA's redis scaler from the worker container" };
const known = new Set(knownEnvNames);
const assertKnown = (names: string[], where: string) => {
  for (const n of names)
    assert.ok(known.has(n) || n in NOT_CONFIG, `${where}: ${n} is not a variable of the config schema`);
};

/** BullMQ's own name for a queue's wait list under a prefix (not a hand-written copy of its key scheme). */
async function waitListKey(prefix: string): Promise<string> {
  const q = new Queue(ASK_QUEUE, { prefix, connection: { host: '127.0.0.1', port: 6379, lazyConnect: true } });
  try {
    return q.keys.wait;
  } finally {
    await q.close();
  }
}

describe('deployment manifests agree with the code', () => {
  const compose = yamlDocs('infra/compose.yaml')[0];
  const k8sFiles = walk(path.join(INFRA, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.relative(ROOT, f));
  const k8s = k8sFiles.flatMap((f) => yamlDocs(f).map((doc) => ({ file: f, doc })));
  const byKind = (kind: string, file?: RegExp) =>
    k8s.filter((x) => x.doc?.kind === kind && (!file || file.test(x.file)));
  const ours = new Set(['migrate', 'gateway', 'worker']);

  test('every YAML file under infra/ parses', () => {
    const all = walk(INFRA).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(all.length >= 15);
    for (const f of all) assert.doesNotThrow(() => yamlDocs(path.relative(ROOT, f)), f);
  });

  test('compose: every variable set for our services is one the config schema knows', () => {
    for (const [name, svc] of Object.entries<{ environment?: Record<string, string> }>(compose.services)) {
      if (!ours.has(name)) continue;
      assertKnown(Object.keys(svc.environment ?? {}), `compose ${name}`);
    }
    assertKnown(Object.keys(compose['x-common-env']), 'compose x-common-env');
  });

  test('kubernetes: ConfigMaps, Secrets and container env use config variables only', () => {
    for (const { file, doc } of byKind('ConfigMap')) assertKnown(Object.keys(doc.data ?? {}), file);
    const secret = yamlDocs('infra/k8s/base/secret.example.yaml')[0];
    assertKnown(Object.keys(secret.stringData), 'secret.example.yaml');
    for (const { file, doc } of [...byKind('Deployment'), ...byKind('Job')]) {
      const spec = doc.spec?.template?.spec;
      for (const c of spec?.containers ?? [])
        assertKnown(
          (c.env ?? []).map((e: { name: string }) => e.name),
          `${file} ${c.name}`,
        );
    }
  });

  test("KEDA's list is the queue's real wait list, for the prefix each overlay configures", async () => {
    const base = byKind('ConfigMap', /base\//)[0].doc.data.QUEUE_PREFIX;
    const prod = byKind('ConfigMap', /overlays\/prod\//)[0].doc.data.QUEUE_PREFIX;
    const baseList = byKind('ScaledObject', /base\//)[0].doc.spec.triggers[0].metadata.listName;
    const prodList = byKind('ScaledObject', /overlays\/prod\//)[0].doc.spec.triggers[0].metadata.listName;
    assert.equal(baseList, await waitListKey(base));
    assert.equal(prodList, await waitListKey(prod));
    assert.equal(compose['x-common-env'].QUEUE_PREFIX, base);
  });

  test('probes and health checks hit routes that exist, on the configured ports', () => {
    const gatewayRoutes = read('apps/gateway/src/routes/ops.ts');
    const workerRoutes = read('apps/worker/src/metrics-server.ts');
    for (const p of ['/healthz', '/readyz']) assert.ok(gatewayRoutes.includes(`'${p}'`), `gateway serves ${p}`);
    assert.ok(workerRoutes.includes(`'/healthz'`));
    const cm = byKind('ConfigMap', /base\//)[0].doc.data;
    for (const { doc } of byKind('Deployment', /base\//)) {
      const c = doc.spec.template.spec.containers[0];
      const port = c.ports[0].containerPort;
      const expected = c.name === 'gateway' ? Number(cm.PORT) : Number(cm.METRICS_PORT);
      assert.equal(port, expected, `${c.name} container port`);
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        assert.ok(['/healthz', '/readyz'].includes(probe.httpGet.path));
        if (c.name === 'worker') assert.equal(probe.httpGet.path, '/healthz', 'workers serve /healthz only');
      }
    }
    assert.match(JSON.stringify(compose.services.gateway.healthcheck.test), /127\.0\.0\.1:8000\/readyz/);
    assert.match(
      JSON.stringify(compose.services.worker.healthcheck.test),
      new RegExp(`:${compose.services.worker.environment.METRICS_PORT}/healthz`),
    );
  });

  test('images start the same entry points as npm start:* and the tests', () => {
    const scripts = JSON.parse(read('package.json')).scripts;
    for (const app of ['gateway', 'worker']) {
      const docker = read(`apps/${app}/Dockerfile`);
      const cmd = /^CMD \["node", "([^"]+)"\]$/m.exec(docker)?.[1];
      assert.ok(cmd && fs.existsSync(path.join(ROOT, cmd)), `${app} CMD ${cmd}`);
      assert.equal(scripts[`start:${app}`], `scripts/node ${cmd}`);
      assert.match(docker, /USER node/);
      assert.match(docker, /tini/);
      assert.match(docker, /npm ci --omit=dev/);
    }
    const job = byKind('Job')[0].doc.spec.template.spec.containers[0].command;
    assert.ok(fs.existsSync(path.join(ROOT, job[1])), 'migrate job entry point exists');
  });

  test('grace periods outlast the longest ask and the drain', () => {
    const worker = byKind('Deployment', /base\/worker/)[0].doc.spec.template.spec;
    const cm = byKind('ConfigMap', /base\//)[0].doc.data;
    assert.ok(worker.terminationGracePeriodSeconds * 1000 > 120_000, 'longer than the maximum timeoutMs');
    assert.ok(worker.terminationGracePeriodSeconds * 1000 > Number(cm.SHUTDOWN_TIMEOUT_MS), 'longer than the drain');
    const grace = Number(String(compose.services.worker.stop_grace_period).replace('s', '')) * 1000;
    assert.ok(grace > Number(compose.services.worker.environment.SHUTDOWN_TIMEOUT_MS));
  });

  test('kustomizations reference files that exist', () => {
    for (const f of k8sFiles.filter((x) => x.endsWith('kustomization.yaml'))) {
      const k = yamlDocs(f)[0];
      const dir = path.dirname(path.join(ROOT, f));
      for (const r of k.resources ?? []) assert.ok(fs.existsSync(path.join(dir, r)), `${f}: ${r}`);
      for (const p of k.patches ?? []) assert.ok(fs.existsSync(path.join(dir, p.path)), `${f}: ${p.path}`);
    }
  });

  test('the Grafana dashboard queries only metrics the services register', () => {
    const registered = new Set(
      [...read('packages/observability/src/metrics.ts').matchAll(/name: '(rag_[a-z_]+)'/g)].map((m) => m[1]),
    );
    const dash = JSON.parse(read('infra/grafana/dashboards/rag.json'));
    const used = new Set<string>();
    for (const p of dash.panels)
      for (const t of p.targets)
        for (const m of t.expr.matchAll(/\b(rag_[a-z_]+?)(_bucket|_count|_sum)?\b/g)) used.add(m[1]);
    assert.ok(used.size >= 10);
    for (const m of used) assert.ok(registered.has(m), `dashboard uses ${m}, which no service registers`);
  });
});
