import { loadAppConfig } from '../src/config';
import { metricExportTiming } from '../src/telemetry';
import { AppProcess, otelEnv } from './helpers/app-process';
import { OtlpReceiver, waitFor } from './helpers/otlp-receiver';

/** Lines the app wrote about the metric export timeout (the clamp warning). */
const timeoutWarnings = (app: AppProcess) => app.jsonLines('stderr').filter((l) => l.component === 'otel' && String(l.msg).includes('OTEL_METRIC_EXPORT_TIMEOUT'));
const stackTraceLines = (app: AppProcess) => app.stderr.filter((l) => /^\s+at /.test(l));

describe('OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT in the real app process', () => {
  const receiver = new OtlpReceiver();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await receiver.start();
  });
  afterAll(() => receiver.stop());

  it('starts with a 1 s interval and no timeout set, serves /healthz and exports metrics every interval', async () => {
    const service = 'sample-app-interval-only';
    // undefined: no OTEL_METRIC_EXPORT_TIMEOUT at all (the SDK default of 30 s applies).
    const app = new AppProcess({ ...otelEnv(endpoint, service), OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: undefined });
    await app.start();
    try {
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${app.url}/`)).status).toBe(200);
      const exportsBefore = receiver.metricExports;
      await waitFor('GET / exported', () => receiver.latest('http.server.request.duration', service, { 'http.route': '/' }) === 1, 5000);
      // The 1 s interval is used (the default is 60 s): exports keep coming.
      await waitFor('two more metric exports', () => receiver.metricExports >= exportsBefore + 2, 5000);
      expect(timeoutWarnings(app)).toEqual([]);
      expect(stackTraceLines(app)).toEqual([]);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('shortens a timeout longer than the interval to the interval with one warning, and keeps exporting', async () => {
    const service = 'sample-app-long-timeout';
    const app = new AppProcess({ ...otelEnv(endpoint, service), OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' });
    await app.start();
    try {
      expect((await fetch(`${app.url}/`)).status).toBe(200);
      await waitFor('GET / exported', () => receiver.latest('http.server.request.duration', service, { 'http.route': '/' }) === 1, 5000);
      expect(timeoutWarnings(app).map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'OTEL_METRIC_EXPORT_TIMEOUT=5000 is longer than OTEL_METRIC_EXPORT_INTERVAL=1000: using 1000 ms as the metric export timeout'],
      ]);
      expect(stackTraceLines(app)).toEqual([]);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it.each([
    ['OTEL_METRIC_EXPORT_INTERVAL', 'abc', 'must be a whole number of milliseconds'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', 'must be greater than 0'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '-1', 'must be greater than 0'],
  ])('%s=%s: exits 2 with one error line naming the variable, no stack trace', async (name, value, reason) => {
    const app = new AppProcess({ ...otelEnv(endpoint, 'sample-app-bad-env'), [name]: value });
    try {
      await expect(app.start()).rejects.toThrow(/^app exited 2/);
      expect(app.exitCode).toBe(2);
      expect(app.stderr).toEqual([`sample-app: invalid environment variable ${name}=${JSON.stringify(value)}: ${reason}`]);
      expect(app.stdout).toEqual([]);
    } finally {
      await app.stop(); // only if it did start
    }
  });
});

describe('metric export interval and timeout', () => {
  it.each([
    // interval, timeout -> interval, timeout used, warned
    [undefined, undefined, 60000, 30000, false],
    [1000, undefined, 1000, 1000, false],
    [45000, undefined, 45000, 30000, false],
    [1000, 400, 1000, 400, false],
    [1000, 1000, 1000, 1000, false],
    [1000, 5000, 1000, 1000, true],
    [undefined, 90000, 60000, 60000, true],
  ])('interval %p, timeout %p: exports every %p ms with a %p ms timeout (warning: %p)', (interval, timeout, intervalMillis, timeoutMillis, warned) => {
    const timing = metricExportTiming(interval, timeout);
    expect({ intervalMillis: timing.intervalMillis, timeoutMillis: timing.timeoutMillis, warned: timing.warning !== undefined }).toEqual({ intervalMillis, timeoutMillis, warned });
  });

  it('names the default interval when only the timeout is too long', () => {
    expect(metricExportTiming(undefined, 90000).warning).toBe('OTEL_METRIC_EXPORT_TIMEOUT=90000 is longer than the default OTEL_METRIC_EXPORT_INTERVAL=60000: using 60000 ms as the metric export timeout');
  });

  it('reads whole milliseconds; an empty value is unset', () => {
    const config = loadAppConfig({ OTEL_METRIC_EXPORT_INTERVAL: ' 1000 ', OTEL_METRIC_EXPORT_TIMEOUT: '' });
    expect(config.OTEL_METRIC_EXPORT_INTERVAL).toBe(1000);
    expect(config.OTEL_METRIC_EXPORT_TIMEOUT).toBeUndefined();
  });

  it.each([
    ['OTEL_METRIC_EXPORT_INTERVAL', 'abc'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '1.5'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '1e3'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '-1000'],
    // Node timers cannot wait longer: they would fire every millisecond.
    ['OTEL_METRIC_EXPORT_INTERVAL', '2147483648'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', 'soon'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '0'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(new RegExp(`^invalid environment variable ${name}=`));
  });
});
