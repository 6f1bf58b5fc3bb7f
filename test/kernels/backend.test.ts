/**
 * Which engine `auto` picks: the classification of WebGPU adapters (hardware or software, and
 * why), and on this host the choice itself, which must never be a software adapter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseAutoEngine, classifyAdapter, useBackend } from '../../kernels/backend.js';
import { hardwareGpu, skipOnGpu } from '../helpers/hardware-gpu.js';

/** What Dawn reports on Mesa's lavapipe (read from this host's adapter). */
const LAVAPIPE = {
  vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true,
};

test('an NVIDIA adapter is hardware, with no reason given', () => {
  const c = classifyAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false } });
  assert.is(c.kind, 'hardware');
  assert.is(c.reason, '');
  assert.is(c.label, 'nvidia hopper NVIDIA H200');
});

test('a GPU driven by Mesa (RADV) is hardware: Mesa alone is no sign of software', () => {
  const c = classifyAdapter({ info: { vendor: 'amd', architecture: 'rdna-3', device: '', description: 'radv: Mesa 24.2.8 (AMD Radeon RX 7900 XTX)' } });
  assert.is(c.kind, 'hardware', c.reason);
});

test('lavapipe is software, with every sign named', () => {
  const c = classifyAdapter({ info: LAVAPIPE });
  assert.is(c.kind, 'software');
  assert.match(c.reason, /marked a fallback adapter/);
  assert.match(c.reason, /architecture "software"/);
  assert.match(c.reason, /names "llvmpipe"/);
  assert.match(c.label, /llvmpipe/);
});

test('a driver name alone marks a software adapter (lavapipe, SwiftShader)', () => {
  assert.is(classifyAdapter({ info: { vendor: 'mesa', architecture: '', device: 'lavapipe' } }).kind, 'software');
  const swiftshader = classifyAdapter({ info: { vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)' } });
  assert.is(swiftshader.kind, 'software');
  assert.match(swiftshader.reason, /names "swiftshader"/);
});

test('the fallback flag alone marks a software adapter, on the info or (older Dawn) on the adapter', () => {
  const neutral = { vendor: 'acme', architecture: 'x', device: 'accelerator' };
  assert.is(classifyAdapter({ info: neutral }).kind, 'hardware');
  const onInfo = classifyAdapter({ info: { ...neutral, isFallbackAdapter: true } });
  assert.is(onInfo.kind, 'software');
  assert.is(onInfo.reason, 'marked a fallback adapter');
  assert.is(classifyAdapter({ info: neutral, isFallbackAdapter: true }).kind, 'software');
});

test('auto picks the float64 path on a host without a hardware GPU adapter, and says why', async () => {
  const gpu = await hardwareGpu();
  const auto = await chooseAutoEngine();
  if (gpu) {
    skipOnGpu('auto picks float64', gpu);
    assert.is(auto.engine, 'webgpu', 'a hardware adapter is the fastest engine');
    return;
  }
  assert.is(auto.engine, 'float64', auto.reason);
  assert.match(auto.reason, /software one|no WebGPU adapter|did not load/);
  if (auto.adapter) assert.is(auto.adapter.kind, 'software');
});

test('useBackend("auto") never starts webgpu on a software adapter', async () => {
  const gpu = await hardwareGpu();
  const info = await useBackend('auto');
  if (gpu) {
    skipOnGpu('useBackend auto avoids webgpu', gpu);
    assert.is(info.name, 'webgpu');
    return;
  }
  assert.is(info.name, 'wasm', info.detail);
  assert.match(info.detail, /auto: /);
});

test.run();
