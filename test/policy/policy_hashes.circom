pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/poseidon.circom";
include "../../circuits/lib/sponge.circom";
include "../../circuits/lib/tags.circom";

// Test-only helper (test/policy/forge.ts): the hash sub-components of PolicyBatch(N, SCORE_BITS)
// under the same component names (commitHash[i], tape) and WITHOUT any of its checks, so a test can
// compute consistent Poseidon internals for data the real circuit rejects (out-of-range scores,
// non-prefix slots, ...) and splice them into a forged witness: the "best cheating attempt".
// Inputs: the private slot data and the tape's activeCount and batchSalt words. Outputs: none (read the witness).
template PolicyHashes(N) {
    signal input applicantId[N];
    signal input score[N];
    signal input salt[N];
    signal input activeCount;
    signal input batchSalt;

    component commitHash[N];
    for (var i = 0; i < N; i++) {
        commitHash[i] = Poseidon(3);
        commitHash[i].inputs[0] <== TAG_COMMITMENT();
        commitHash[i].inputs[1] <== applicantId[i] + (1 << 72) * score[i];
        commitHash[i].inputs[2] <== salt[i];
    }
    component tape = TapeDigest(N + 2);
    tape.words[0] <== activeCount;
    for (var i = 0; i < N; i++) {
        tape.words[1 + i] <== score[i];
    }
    tape.words[N + 1] <== batchSalt;
}
