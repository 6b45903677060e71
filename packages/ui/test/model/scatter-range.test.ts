import t from 'tap';
import { MIN_SCATTER_WINDOW_S, scatterTimeRange } from '../../src/model/scatter-range.js';

const at = Date.UTC(2026, 11, 7, 7, 55) / 1000;

t.test('one result: a minute around it, not years', async (t) => {
  const [lo, hi] = scatterTimeRange(at, at);
  t.equal(hi - lo, MIN_SCATTER_WINDOW_S, 'the window is one minute wide');
  t.equal(lo, at - 30, 'starting half a minute before the result');
  t.equal(hi, at + 30, 'and ending half a minute after');
});

t.test('results a few milliseconds apart: still a minute, centred on them', async (t) => {
  const [lo, hi] = scatterTimeRange(at, at + 0.004);
  t.equal(hi - lo, MIN_SCATTER_WINDOW_S);
  t.ok(Math.abs((lo + hi) / 2 - (at + 0.002)) < 1e-6, 'centred between the two');
});

t.test('results spread over an hour: the spread plus 5% on each side', async (t) => {
  const [lo, hi] = scatterTimeRange(at, at + 3600);
  t.equal(lo, at - 180);
  t.equal(hi, at + 3600 + 180);
});

t.test('no results (uPlot passes no min/max): a finite minute', async (t) => {
  t.same(scatterTimeRange(undefined, undefined), [0, MIN_SCATTER_WINDOW_S]);
  t.same(scatterTimeRange(Number.NaN, Number.NaN), [0, MIN_SCATTER_WINDOW_S]);
  t.same(scatterTimeRange(at, undefined), [at - 30, at + 30], 'one end known: a minute around it');
});
