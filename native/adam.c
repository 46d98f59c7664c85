// r3an's optional native kernels for training on onnxruntime: summing the micro-batches' gradients
// and the Adam update of TF.js's AdamOptimizer, each one vectorised pass over Float32Arrays (N-API,
// nothing beyond Node's own headers). `npm install` builds it where a C compiler is present
// (native/build.mjs); without it r3an runs the same arithmetic in JS (src/train/array-adam.ts).
#include <math.h>
#include <stddef.h>
#include <node_api.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "r3an_native: bad arguments"); return NULL; } } while (0)

static float *floats(napi_env env, napi_value v, size_t *n) {
  napi_typedarray_type type; size_t len; void *data; napi_value buf; size_t off;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &buf, &off) != napi_ok || type != napi_float32_array) return NULL;
  *n = len; return (float *)data;
}

// accumulate(sum, g): sum += g
static napi_value accumulate(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  size_t n = 0, ng = 0;
  float *restrict sum = argc == 2 ? floats(env, a[0], &n) : NULL;
  const float *restrict g = argc == 2 ? floats(env, a[1], &ng) : NULL;
  if (!sum || !g || ng != n) { napi_throw_error(env, NULL, "r3an_native.accumulate(sum, g): two Float32Arrays of one length"); return NULL; }
  for (size_t j = 0; j < n; j++) sum[j] += g[j];
  return NULL;
}

// adamUpdate(w, m, v, g, scale, beta1, beta2, step, epsHat), in place:
//   g' = scale·g;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;  w −= step·m / (√v + epsHat)
static napi_value adam_update(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 9) { napi_throw_error(env, NULL, "r3an_native.adamUpdate: 9 arguments"); return NULL; }
  size_t n = 0, nm = 0, nv = 0, ng = 0;
  float *restrict w = floats(env, a[0], &n), *restrict m = floats(env, a[1], &nm), *restrict v = floats(env, a[2], &nv);
  const float *restrict g = floats(env, a[3], &ng);
  if (!w || !m || !v || !g || nm != n || nv != n || ng != n) { napi_throw_error(env, NULL, "r3an_native.adamUpdate: w, m, v, g must be Float32Arrays of one length"); return NULL; }
  double d[5];
  for (int i = 0; i < 5; i++) CHECK(napi_get_value_double(env, a[4 + i], &d[i]));
  const float scale = (float)d[0], b1 = (float)d[1], b2 = (float)d[2], step = (float)d[3], eps = (float)d[4];
  const float a1 = 1.0f - b1, a2 = 1.0f - b2;
  for (size_t j = 0; j < n; j++) {
    const float gj = g[j] * scale;
    const float mj = m[j] * b1 + gj * a1;
    const float vj = v[j] * b2 + gj * gj * a2;
    m[j] = mj; v[j] = vj;
    w[j] -= step * mj / (sqrtf(vj) + eps);
  }
  return NULL;
}

static int export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok && napi_set_named_property(env, exports, name, fn) == napi_ok;
}

static napi_value init(napi_env env, napi_value exports) {
  if (!export_fn(env, exports, "accumulate", accumulate) || !export_fn(env, exports, "adamUpdate", adam_update)) return NULL;
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
