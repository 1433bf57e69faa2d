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

    var RATE = 15;
    var CHUNKS = (L + RATE - 1) \ RATE;

    component absorb[CHUNKS];
    signal state[CHUNKS + 1];
    state[0] <== POSEIDON2_CONST(TAG, L);
    for (var c = 0; c < CHUNKS; c++) {
        absorb[c] = Poseidon(16);
        absorb[c].inputs[0] <== state[c];
        for (var j = 0; j < RATE; j++) {
            var idx = c * RATE + j;
            if (idx < L) {
                absorb[c].inputs[1 + j] <== words[idx];
            } else {
                absorb[c].inputs[1 + j] <== 0;
            }
        }
        state[c + 1] <== absorb[c].out;
    }
    out <== state[CHUNKS];
}

// TapeDigest(L) = SpongeDigest(TAG_TAPE, L): tapeDigest in src/tape/index.ts.
template TapeDigest(L) {
    signal input words[L];
    signal output out;
    component s = SpongeDigest(TAG_TAPE(), L);
    s.words <== words;
    out <== s.out;
}
