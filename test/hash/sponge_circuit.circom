pragma circom 2.1.9;

include "../../circuits/lib/sponge.circom";
include "../../circuits/lib/tags.circom";

// Test-only (test/hash/sponge-circuit.test.ts): POSEIDON2_CONST on constants, SpongeDigest with
// several tags and lengths, TapeDigest at three lengths (one narrow call, several, past 15 elements)
// and PoseidonEx(1, 1) with an initial state, as outputs to compare with src/hash.ts and src/tape.
template SpongeCircuitCheck() {
    signal input a[1];
    signal input b[16];
    signal input c[49];
    signal input shortTape[3];
    signal input longTape[105];
    signal input blinding;
    signal input width2[2];
    signal output consts[5];
    signal output digests[7];
    signal output permuted;

    consts[0] <== POSEIDON2_CONST(1, 2);
    consts[1] <== POSEIDON2_CONST(0, 0);
    consts[2] <== POSEIDON2_CONST(TAG_TAPE(), 7);
    consts[3] <== POSEIDON2_CONST(TAG_METHOD(), 123456789);
    consts[4] <== POSEIDON2_CONST(21888242871839275222246405745257275088548364400416034343698204186575808495616, 21888242871839275222246405745257275088548364400416034343698204186575808495615);

    component d0 = SpongeDigest(TAG_METHOD(), 1);
    d0.words <== a;
    digests[0] <== d0.out;
    component d1 = SpongeDigest(7, 16);
    d1.words <== b;
    digests[1] <== d1.out;
    component d2 = TapeDigest(49);
    d2.words <== c;
    d2.blinding <== blinding;
    digests[2] <== d2.out;
    component d3 = SpongeDigest(TAG_TAPE(), 0);
    digests[3] <== d3.out;
    component d4 = TapeDigest(3);
    d4.words <== shortTape;
    d4.blinding <== blinding;
    digests[4] <== d4.out;
    component d5 = TapeDigest(105);
    d5.words <== longTape;
    d5.blinding <== blinding;
    digests[5] <== d5.out;
    component d6 = TapeDigest(3);
    d6.words <== shortTape;
    d6.blinding <== 0;
    digests[6] <== d6.out;
    component p = PoseidonEx(1, 1);
    p.initialState <== width2[0];
    p.inputs[0] <== width2[1];
    permuted <== p.out[0];
}
