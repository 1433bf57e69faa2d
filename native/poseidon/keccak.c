/*
 * keccak256 as Ethereum uses it (the original Keccak padding, not SHA3-256's): Keccak-f[1600],
 * rate 136 bytes, 256-bit output. The permutation is written out lane by lane (theta, rho and pi
 * merged, chi, iota). Little-endian hosts only (x86-64, arm64), checked at compile time.
 */
#include <string.h>

#include "hash.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "keccak.c assumes a little-endian host"
#endif

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

#define ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/* Lane (x, y) is a[x + 5 y]. */
static void keccak_f(uint64_t a[25]) {
  for (int round = 0; round < 24; round++) {
    /* theta */
    const uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    const uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    const uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    const uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    const uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    const uint64_t d0 = c4 ^ ROL(c1, 1);
    const uint64_t d1 = c0 ^ ROL(c2, 1);
    const uint64_t d2 = c1 ^ ROL(c3, 1);
    const uint64_t d3 = c2 ^ ROL(c4, 1);
    const uint64_t d4 = c3 ^ ROL(c0, 1);
    /* rho and pi: b[y + 5 ((2x + 3y) mod 5)] = ROL(a[x + 5y] ^ d[x], r[x][y]) */
    const uint64_t b0 = a[0] ^ d0;
    const uint64_t b1 = ROL(a[6] ^ d1, 44);
    const uint64_t b2 = ROL(a[12] ^ d2, 43);
    const uint64_t b3 = ROL(a[18] ^ d3, 21);
    const uint64_t b4 = ROL(a[24] ^ d4, 14);
    const uint64_t b5 = ROL(a[3] ^ d3, 28);
    const uint64_t b6 = ROL(a[9] ^ d4, 20);
    const uint64_t b7 = ROL(a[10] ^ d0, 3);
    const uint64_t b8 = ROL(a[16] ^ d1, 45);
    const uint64_t b9 = ROL(a[22] ^ d2, 61);
    const uint64_t b10 = ROL(a[1] ^ d1, 1);
    const uint64_t b11 = ROL(a[7] ^ d2, 6);
    const uint64_t b12 = ROL(a[13] ^ d3, 25);
    const uint64_t b13 = ROL(a[19] ^ d4, 8);
    const uint64_t b14 = ROL(a[20] ^ d0, 18);
    const uint64_t b15 = ROL(a[4] ^ d4, 27);
    const uint64_t b16 = ROL(a[5] ^ d0, 36);
    const uint64_t b17 = ROL(a[11] ^ d1, 10);
    const uint64_t b18 = ROL(a[17] ^ d2, 15);
    const uint64_t b19 = ROL(a[23] ^ d3, 56);
    const uint64_t b20 = ROL(a[2] ^ d2, 62);
    const uint64_t b21 = ROL(a[8] ^ d3, 55);
    const uint64_t b22 = ROL(a[14] ^ d4, 39);
    const uint64_t b23 = ROL(a[15] ^ d0, 41);
    const uint64_t b24 = ROL(a[21] ^ d1, 2);
    /* chi, iota */
    a[0] = b0 ^ (~b1 & b2) ^ RC[round];
    a[1] = b1 ^ (~b2 & b3);
    a[2] = b2 ^ (~b3 & b4);
    a[3] = b3 ^ (~b4 & b0);
    a[4] = b4 ^ (~b0 & b1);
    a[5] = b5 ^ (~b6 & b7);
    a[6] = b6 ^ (~b7 & b8);
    a[7] = b7 ^ (~b8 & b9);
    a[8] = b8 ^ (~b9 & b5);
    a[9] = b9 ^ (~b5 & b6);
    a[10] = b10 ^ (~b11 & b12);
    a[11] = b11 ^ (~b12 & b13);
    a[12] = b12 ^ (~b13 & b14);
    a[13] = b13 ^ (~b14 & b10);
    a[14] = b14 ^ (~b10 & b11);
    a[15] = b15 ^ (~b16 & b17);
    a[16] = b16 ^ (~b17 & b18);
    a[17] = b17 ^ (~b18 & b19);
    a[18] = b18 ^ (~b19 & b15);
    a[19] = b19 ^ (~b15 & b16);
    a[20] = b20 ^ (~b21 & b22);
    a[21] = b21 ^ (~b22 & b23);
    a[22] = b22 ^ (~b23 & b24);
    a[23] = b23 ^ (~b24 & b20);
    a[24] = b24 ^ (~b20 & b21);
  }
}

static void absorb(uint64_t a[25], const uint8_t *block) {
  for (int i = 0; i < 17; i++) {
    uint64_t w;
    memcpy(&w, block + 8 * i, 8);
    a[i] ^= w;
  }
}

void zkla_keccak256(const uint8_t *data, size_t len, uint8_t out[32]) {
  enum { RATE = 136 };
  uint64_t a[25];
  memset(a, 0, sizeof a);
  while (len >= RATE) {
    absorb(a, data);
    keccak_f(a);
    data += RATE;
    len -= RATE;
  }
  uint8_t block[RATE];
  memset(block, 0, sizeof block);
  memcpy(block, data, len);
  block[len] ^= 0x01;
  block[RATE - 1] ^= 0x80;
  absorb(a, block);
  keccak_f(a);
  memcpy(out, a, 32);
}
