pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/poseidon.circom";
include "./tags.circom";

// POSEIDON2_CONST(a, b) = circomlib Poseidon(2)([a, b]), evaluated by the compiler (no constraints).
// The same rounds, constants and order as circomlib's PoseidonEx(2, 1) with initialState 0 (t = 3),
// so it equals poseidon([a, b]) of src/hash.ts; test/hash/sponge-circuit.test.ts checks it.
// For compile-time constants only: on a signal it would not constrain anything.
function POSEIDON2_CONST(a, b) {
    var t = 3;
    var nRoundsF = 8;
    var nRoundsP = 57; // circomlib's N_ROUNDS_P[t - 2]
    var C[t * nRoundsF + nRoundsP] = POSEIDON_C(t);
    var S[nRoundsP * (t * 2 - 1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);
    var state[t] = [0, a, b];
    var next[t];

    for (var j = 0; j < t; j++) state[j] += C[j];
    // First half of the full rounds: S-box, round constants, mix (M, the last one P).
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) state[j] = state[j] ** 5 + C[(r + 1) * t + j];
        for (var i = 0; i < t; i++) {
            next[i] = 0;
            for (var j = 0; j < t; j++) {
                next[i] += (r < nRoundsF \ 2 - 1 ? M[j][i] : P[j][i]) * state[j];
            }
        }
        for (var i = 0; i < t; i++) state[i] = next[i];
    }
    // Partial rounds with circomlib's sparse matrices (MixS).
    for (var r = 0; r < nRoundsP; r++) {
        state[0] = state[0] ** 5 + C[(nRoundsF \ 2 + 1) * t + r];
        var s0 = 0;
        for (var i = 0; i < t; i++) s0 += S[(t * 2 - 1) * r + i] * state[i];
        for (var i = 1; i < t; i++) state[i] += state[0] * S[(t * 2 - 1) * r + t + i - 1];
        state[0] = s0;
    }
    // Second half of the full rounds; the last one has no round constants and keeps output 0 only.
    for (var r = 0; r < nRoundsF \ 2 - 1; r++) {
        for (var j = 0; j < t; j++) state[j] = state[j] ** 5 + C[(nRoundsF \ 2 + 1) * t + nRoundsP + r * t + j];
        for (var i = 0; i < t; i++) {
            next[i] = 0;
            for (var j = 0; j < t; j++) next[i] += M[j][i] * state[j];
        }
        for (var i = 0; i < t; i++) state[i] = next[i];
    }
    var out = 0;
    for (var j = 0; j < t; j++) out += M[j][0] * state[j] ** 5;
    return out;
}

// Absorb(E, RATE): h = init; for each chunk of RATE elements, zero-padded:
// h = Poseidon(RATE + 1)(h, chunk). The absorbing part of the project's sponge (src/hash.ts spongeAbsorb).
// Inputs: init (the first state), elements[E]. Output: out.
// Caller must enforce: init binds the domain and the length (SpongeDigest, TapeDigest do);
// 1 <= RATE <= 15 (circomlib's widths; asserted).
template Absorb(E, RATE) {
    assert(RATE >= 1 && RATE <= 15);
    signal input init;
    signal input elements[E];
    signal output out;

    var CHUNKS = (E + RATE - 1) \ RATE;

    component absorb[CHUNKS];
    signal state[CHUNKS + 1];
    state[0] <== init;
    for (var c = 0; c < CHUNKS; c++) {
        absorb[c] = Poseidon(RATE + 1);
        absorb[c].inputs[0] <== state[c];
        for (var j = 0; j < RATE; j++) {
            var idx = c * RATE + j;
            if (idx < E) {
                absorb[c].inputs[1 + j] <== elements[idx];
            } else {
                absorb[c].inputs[1 + j] <== 0;
            }
        }
        state[c + 1] <== absorb[c].out;
    }
    out <== state[CHUNKS];
}

// SpongeDigest(TAG, L): the project's domain-tagged, length-binding Poseidon sponge (src/hash.ts).
//   h = Poseidon(2)(TAG, L); for each chunk of 15 words, zero-padded: h = Poseidon(16)(h, chunk)
// The first state depends on template parameters only, so the compiler computes it
// (POSEIDON2_CONST): under --O1 (the policy circuit) a Poseidon(2) component would keep about 600
// PLONK gates for a constant; --O2 (the zkVM) folds it either way.
// Input:   words[L] (field elements). Output: out = spongeDigest(TAG, words).
// Caller must enforce: nothing; the tag and the length L are template parameters and are hashed in.
template SpongeDigest(TAG, L) {
    signal input words[L];
    signal output out;
    component absorb = Absorb(L, 15);
    absorb.init <== POSEIDON2_CONST(TAG, L);
    absorb.elements <== words;
    out <== absorb.out;
}

// TapeDigest(L): tapeDigest(words, blinding) of src/tape, the hiding digest of a tape of L 32-bit
// words: h = Poseidon(2)(TAG_TAPE, L), then Absorb of the E = 1 + ceil(L / 7) elements [blinding,
// the words packed 7 per element] (element k = sum_j words[7k + j] * 2^(32 j), the last one
// zero-padded) at rate min(E, 15): up to 15 elements, one Poseidon(E + 1) call. Packing makes a
// tape word cost about 1/7 of a sponge word, and the narrow permutation keeps a short tape cheap
// (in PLONK, Poseidon(16) is about 4,900 gates, Poseidon(3) about 780); packing is injective only
// because every word is below 2^32.
// Inputs: words[L], blinding (a field element; secret and random when the digest must hide the tape).
// Output: out.
// Caller must enforce: every word < 2^32 (the zkVM range-checks its tape, the policy circuit its
// scores); otherwise two tapes could share a digest.
template TapeDigest(L) {
    signal input words[L];
    signal input blinding;
    signal output out;

    var PER = 7;
    var PACKED = (L + PER - 1) \ PER;
    var E = 1 + PACKED;
    component absorb = Absorb(E, E < 15 ? E : 15);
    absorb.init <== POSEIDON2_CONST(TAG_TAPE(), L);
    absorb.elements[0] <== blinding;
    for (var k = 0; k < PACKED; k++) {
        var packed = 0;
        for (var j = 0; j < PER; j++) {
            if (k * PER + j < L) {
                packed += words[k * PER + j] * (1 << (32 * j));
            }
        }
        absorb.elements[1 + k] <== packed;
    }
    out <== absorb.out;
}
