import { state } from './state.mjs';

class Metric {
  constructor(name) {
    this.name = name;
    state.metrics[name] ??= [];
  }
  add(value, tags) {
    state.metrics[this.name].push({ value: Number(value), tags: tags ?? {} });
  }
}
export class Trend extends Metric {}
export class Rate extends Metric {}
export class Counter extends Metric {}
export class Gauge extends Metric {}
export default { Trend, Rate, Counter, Gauge };
