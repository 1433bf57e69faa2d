pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/poseidon.circom";
include "../../circuits/lib/sponge.circom";
include "../../circuits/lib/tags.circom";

// Test-only helper (test/policy/forge.ts): the hash sub-components of PolicyBatch(N, SCORE_BITS)
// under the same component names (commitHash[i], tape) and WITHOUT any of its checks, so a test can
// compute consistent Poseidon internals for data the real circuit rejects (out-of-range scores,
// non-prefix slots, ...) and splice them into a forged witness: the "best cheating attempt".
// Inputs: the private slot data, the tape's activeCount word and its blinding batchSalt. Outputs: none (read the witness).
template PolicyHashes(N) {
    signal input applicantId[N];
    signal input score[N];
    signal input salt[N];
    signal input activeCount;
    signal input batchSalt;

    component commitHash[N];
    for (var i = 0; i < N; i++) {
        commitHash[i] = PoseidonEx(1, 1);
        commitHash[i].initialState <== salt[i];
        commitHash[i].inputs[0] <== TAG_COMMITMENT() * (1 << 104) + score[i] * (1 << 72) + applicantId[i];
    }
    component tape = TapeDigest(N + 1);
    tape.words[0] <== activeCount;
    for (var i = 0; i < N; i++) {
        tape.words[1 + i] <== score[i];
    }
    tape.blinding <== batchSalt;
}
