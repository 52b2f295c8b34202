export class SharedArray {
  constructor(_name, fn) {
    // biome-ignore lint/correctness/noConstructorReturn: k6's SharedArray is built with `new` and is the array itself
    return fn();
  }
}
export default { SharedArray };
