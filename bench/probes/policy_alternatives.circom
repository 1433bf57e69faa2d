pragma circom 2.1.9;

// Probe circuits for bench/policy-alternatives.ts: the pieces of one policy slot, and the
// alternatives to each, K times over, so the bench can take the PLONK gates of one piece as
// (gates(2K) - gates(K)) / K. Measurement only: nothing here is part of a proof system.
// Inputs: arbitrary field elements (the probes are never proven). Outputs: one signal per instance,
// so the compiler keeps every constraint.

include "../../node_modules/circomlib/circuits/bitify.circom";
include "../../node_modules/circomlib/circuits/comparators.circom";
include "../../node_modules/circomlib/circuits/poseidon.circom";

// Today's commitment: Poseidon(3)(TAG, id + 2^72 * score, salt), circomlib, t = 4.
template CommitPoseidon3(K) {
    signal input word[K];
    signal input salt[K];
    signal output out[K];
    component h[K];
    for (var i = 0; i < K; i++) {
        h[i] = Poseidon(3);
        h[i].inputs[0] <== 7;
        h[i].inputs[1] <== word[i];
        h[i].inputs[2] <== salt[i];
        out[i] <== h[i].out;
    }
}

// The tag as the sponge's initial (capacity) state instead of an input: PoseidonEx(2, 1), t = 3.
template CommitPoseidonEx2(K) {
    signal input word[K];
    signal input salt[K];
    signal output out[K];
    component h[K];
    for (var i = 0; i < K; i++) {
        h[i] = PoseidonEx(2, 1);
        h[i].initialState <== 7;
        h[i].inputs[0] <== word[i];
        h[i].inputs[1] <== salt[i];
        out[i] <== h[i].out[0];
    }
}

// The salt as the initial state and one input word: PoseidonEx(1, 1), t = 2.
template CommitPoseidonEx1(K) {
    signal input word[K];
    signal input salt[K];
    signal output out[K];
    component h[K];
    for (var i = 0; i < K; i++) {
        h[i] = PoseidonEx(1, 1);
        h[i].initialState <== salt[i];
        h[i].inputs[0] <== word[i];
        out[i] <== h[i].out[0];
    }
}

// A chained sponge over W words, RATE words per permutation (circomlib Poseidon(RATE + 1));
// RATE = 15 is today's tape digest. W must be a multiple of RATE.
template TapeSponge(W, RATE) {
    signal input words[W];
    signal output out;
    var C = W \ RATE;
    component h[C];
    signal state[C + 1];
    state[0] <== words[0] * 0 + 3;
    for (var c = 0; c < C; c++) {
        h[c] = Poseidon(RATE + 1);
        h[c].inputs[0] <== state[c];
        for (var j = 0; j < RATE; j++) h[c].inputs[1 + j] <== words[c * RATE + j];
        state[c + 1] <== h[c].out;
    }
    out <== state[C];
}

// Packing 7 range-checked 32-bit scores into one word (the range checks are counted in SlotRanges).
template PackScores(K) {
    signal input score[K * 7];
    signal output out[K];
    for (var c = 0; c < K; c++) {
        var acc = 0;
        for (var j = 0; j < 7; j++) acc += score[c * 7 + j] * (1 << (32 * j));
        out[c] <== acc;
    }
}

// Today's range checks of one slot: the id step (64 bits), the score (32 bits), score <= threshold.
template SlotRanges(K) {
    signal input idStep[K];
    signal input score[K];
    signal input threshold;
    signal output out[K];
    component step[K];
    component range[K];
    component le[K];
    for (var i = 0; i < K; i++) {
        step[i] = Num2Bits(64);
        step[i].in <== idStep[i];
        range[i] = Num2Bits(32);
        range[i].in <== score[i];
        le[i] = LessEqThan(32);
        le[i].in[0] <== score[i];
        le[i].in[1] <== threshold;
        out[i] <== le[i].out;
    }
}
