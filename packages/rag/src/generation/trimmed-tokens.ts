/**
 * Passes streamed text on so that the pieces concatenate to the whole text `.trim()`med, as answers are returned:
 * leading whitespace is dropped, trailing whitespace is held back until more text follows it.
 */
export function trimmedTokens(emit: (text: string) => void): (text: string) => void {
  let started = false;
  let held = '';
  return (text: string) => {
    let t = text;
    if (!started) {
      t = t.trimStart();
      if (!t) return;
      started = true;
    }
    const body = t.trimEnd();
    if (!body) {
      held += t;
      return;
    }
    emit(held + body);
    held = t.slice(body.length);
  };
}
