const MAP = {
  k6: './k6.mjs',
  'k6/http': './k6-http.mjs',
  'k6/metrics': './k6-metrics.mjs',
  'k6/data': './k6-data.mjs',
};

export async function resolve(specifier, context, next) {
  if (specifier in MAP) return { url: new URL(MAP[specifier], import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
