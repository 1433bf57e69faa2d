pragma circom 2.1.9;

include "../../circuits/lib/sponge.circom";
include "../../circuits/lib/tags.circom";

// Test-only (test/hash/sponge-circuit.test.ts): POSEIDON2_CONST on constants, and SpongeDigest with
// several tags and lengths, as outputs to compare with src/hash.ts.
template SpongeCircuitCheck() {
    signal input a[1];
    signal input b[16];
    signal input c[49];
    signal output consts[5];
    signal output digests[4];

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
    digests[2] <== d2.out;
    component d3 = SpongeDigest(TAG_TAPE(), 0);
    digests[3] <== d3.out;
}
