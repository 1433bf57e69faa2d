/*
 * The native hashes of src/hash.ts and src/anchor/state.ts (built by src/build/native.ts into
 * build/native/poseidon.node; the TypeScript fallbacks compute exactly the same values).
 */
#ifndef ZKLA_HASH_H
#define ZKLA_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Largest number of Poseidon inputs (t = 17). */
#define ZKLA_POSEIDON_MAX_INPUTS 16

/* Whether `n` inputs is an arity the constants were generated for (1, 2, 3, 4, 5, 16). */
int zkla_poseidon_supported(int n);

/*
 * circomlib Poseidon(n) of `n` field elements given as canonical 4-limb little-endian integers
 * (each < r; the caller checks), result likewise. Returns 0, or -1 for an unsupported arity.
 */
int zkla_poseidon(const uint64_t (*inputs)[4], int n, uint64_t out[4]);

/*
 * circomlib PoseidonEx(n, 1): the same permutation with `init` as the state's first element instead
 * of 0 (NULL means 0), first output element. Same conventions and return value as zkla_poseidon.
 */
int zkla_poseidon_ex(const uint64_t init[4], const uint64_t (*inputs)[4], int n, uint64_t out[4]);

/* 1 when the 4-limb little-endian integer is below the BN254 scalar field order r. */
int zkla_below_r(const uint64_t x[4]);

/* Ethereum's keccak256 (Keccak-f[1600], rate 136, padding 0x01 .. 0x80). */
void zkla_keccak256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
