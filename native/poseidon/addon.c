/*
 * N-API bindings (no dependencies beyond Node's headers), loaded by src/hash.ts:
 *
 *   poseidon(x0, x1, ...): bigint    circomlib Poseidon of 1, 2, 3, 4, 5 or 16 BigInt field elements
 *   arities: number[]                  the input counts poseidon and poseidonEx accept
 *   poseidonEx(init, x0, ...): bigint circomlib PoseidonEx(n, 1) with initialState init (same arities)
 *   keccak256(bytes): Buffer          keccak256 of a Uint8Array (or Buffer), 32 bytes
 *   keccak256Each(bytes, size): Buffer the keccak256 of each consecutive size-byte chunk, concatenated
 *   version: number                   ZKLA_NATIVE_HASH_VERSION below
 *
 * The TypeScript side validates inputs first (same errors as the poseidon-lite fallback); the
 * checks here (TypeError for a non-BigInt, RangeError for a value outside [0, r)) are a safety net.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"

#define CHECK(call)                                                             \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error(env, NULL, "zkla native hash: N-API call failed: " #call); \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

/* Reads a BigInt field element into 4 little-endian limbs; throws and returns 0 when it is not one. */
static int read_field(napi_env env, napi_value value, uint64_t out[4], size_t index) {
  int sign = 0;
  size_t words = 4;
  char message[96];
  memset(out, 0, 4 * sizeof(uint64_t));
  if (napi_get_value_bigint_words(env, value, &sign, &words, out) != napi_ok) {
    snprintf(message, sizeof message, "poseidon input %zu must be a bigint", index);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  if (sign || words > 4 || !zkla_below_r(out)) {
    snprintf(message, sizeof message, "poseidon input %zu must satisfy 0 <= x < r (BN254 scalar field order)", index);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  return 1;
}

static napi_value field_value(napi_env env, const uint64_t h[4]) {
  napi_value result;
  if (napi_create_bigint_words(env, 0, 4, h, &result) != napi_ok) return NULL;
  return result;
}

/* poseidon(x0, ...) when `with_init` is 0, poseidonEx(init, x0, ...) when it is 1. */
static napi_value poseidon_call(napi_env env, napi_callback_info info, int with_init) {
  size_t argc = ZKLA_POSEIDON_MAX_INPUTS + 2;
  napi_value argv[ZKLA_POSEIDON_MAX_INPUTS + 2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < (size_t)with_init) {
    napi_throw_range_error(env, NULL, "poseidonEx needs an initial state");
    return NULL;
  }
  size_t n = argc - (size_t)with_init;
  if (n > ZKLA_POSEIDON_MAX_INPUTS || !zkla_poseidon_supported((int)n)) {
    napi_throw_range_error(env, NULL, "poseidon arity is not supported by the native addon");
    return NULL;
  }
  uint64_t init[4];
  if (with_init && !read_field(env, argv[0], init, 0)) return NULL;
  uint64_t in[ZKLA_POSEIDON_MAX_INPUTS][4];
  for (size_t i = 0; i < n; i++) {
    if (!read_field(env, argv[i + (size_t)with_init], in[i], i)) return NULL;
  }
  uint64_t h[4];
  zkla_poseidon_ex(with_init ? init : NULL, (const uint64_t(*)[4])in, (int)n, h);
  return field_value(env, h);
}

static napi_value js_poseidon(napi_env env, napi_callback_info info) { return poseidon_call(env, info, 0); }

static napi_value js_poseidon_ex(napi_env env, napi_callback_info info) { return poseidon_call(env, info, 1); }

/* The bytes of a Uint8Array argument; throws and returns 0 when it is not one. */
static int read_bytes(napi_env env, napi_value value, const uint8_t **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "keccak256: data must be a Uint8Array");
    return 0;
  }
  *data = (const uint8_t *)ptr;
  return 1;
}

static napi_value js_keccak256(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const uint8_t *data = NULL;
  size_t length = 0;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "keccak256(data): data is missing");
    return NULL;
  }
  if (!read_bytes(env, argv[0], &data, &length)) return NULL;
  uint8_t digest[32];
  zkla_keccak256(data, length, digest);
  napi_value result;
  CHECK(napi_create_buffer_copy(env, sizeof digest, digest, NULL, &result));
  return result;
}

static napi_value js_keccak256_each(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const uint8_t *data = NULL;
  size_t length = 0;
  int64_t size = 0;
  if (argc < 2 || napi_get_value_int64(env, argv[1], &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "keccak256Each(data, size): size must be a number");
    return NULL;
  }
  if (!read_bytes(env, argv[0], &data, &length)) return NULL;
  if (size < 1 || length % (size_t)size != 0) {
    napi_throw_range_error(env, NULL, "keccak256Each(data, size): data.length must be a multiple of size >= 1");
    return NULL;
  }
  size_t count = length / (size_t)size;
  void *out = NULL;
  napi_value result;
  CHECK(napi_create_buffer(env, 32 * count, &out, &result));
  for (size_t i = 0; i < count; i++) zkla_keccak256(data + i * (size_t)size, (size_t)size, (uint8_t *)out + 32 * i);
  return result;
}

/* Bumped whenever the exports change; src/hash.ts refuses an addon of another version (a stale build). */
#define ZKLA_NATIVE_HASH_VERSION 2

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value version, arities;
  if (napi_create_uint32(env, ZKLA_NATIVE_HASH_VERSION, &version) != napi_ok) return NULL;
  if (napi_create_array(env, &arities) != napi_ok) return NULL;
  uint32_t count = 0;
  for (int n = 1; n <= ZKLA_POSEIDON_MAX_INPUTS; n++) {
    if (!zkla_poseidon_supported(n)) continue;
    napi_value v;
    if (napi_create_uint32(env, (uint32_t)n, &v) != napi_ok || napi_set_element(env, arities, count++, v) != napi_ok)
      return NULL;
  }
  napi_property_descriptor props[] = {
      {"version", NULL, NULL, NULL, NULL, version, napi_enumerable, NULL},
      {"arities", NULL, NULL, NULL, NULL, arities, napi_enumerable, NULL},
      {"poseidon", NULL, js_poseidon, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonEx", NULL, js_poseidon_ex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keccak256", NULL, js_keccak256, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keccak256Each", NULL, js_keccak256_each, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
