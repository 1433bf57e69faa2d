pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/poseidon.circom";
include "./tags.circom";

// SpongeDigest(L): the project's domain-tagged, length-binding Poseidon sponge (src/hash.ts).
//   h = Poseidon(2)(tag, L); for each chunk of 15 words, zero-padded: h = Poseidon(16)(h, chunk)
// Inputs:  tag (field element; the caller passes a constant), words[L] (field elements).
// Output:  out = spongeDigest(tag, words).
// Caller must enforce: nothing; the length L is a template parameter and is hashed in.
template SpongeDigest(L) {
    signal input tag;
    signal input words[L];
    signal output out;

    var RATE = 15;
    var CHUNKS = (L + RATE - 1) \ RATE;

    component init = Poseidon(2);
    init.inputs[0] <== tag;
    init.inputs[1] <== L;

    component absorb[CHUNKS];
    signal state[CHUNKS + 1];
    state[0] <== init.out;
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

// TapeDigest(L) = SpongeDigest(L) with the tape tag: tapeDigest in src/tape/index.ts.
template TapeDigest(L) {
    signal input words[L];
    signal output out;
    component s = SpongeDigest(L);
    s.tag <== TAG_TAPE();
    s.words <== words;
    out <== s.out;
}
