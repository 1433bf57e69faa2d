pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/bitify.circom";
include "../../node_modules/circomlib/circuits/comparators.circom";
include "../../node_modules/circomlib/circuits/poseidon.circom";
include "../lib/sponge.circom";
include "../lib/tags.circom";

// PolicyBatch(N, SCORE_BITS): every decision of a batch of N slots follows the policy
// "approve iff score <= threshold", against hiding commitments and the batch tape digest.
// TypeScript reference (test oracle): src/policy evaluatePolicy. Documentation: docs/policy.md.
//
// Private inputs, per slot i in 0..N-1:
//   applicantId[i], score[i], salt[i]  field elements; score[i] < 2^SCORE_BITS (enforced here)
//   active[i]                          0 or 1 (enforced here); active slots form a prefix 0..k-1
//                                      and inactive slots carry applicantId = score = salt = 0 (enforced here)
//   active applicantIds                nonzero and strictly increasing in slot order, each step
//                                      at most 2^64 (enforced here), hence pairwise distinct and
//                                      below 2^72 (N <= 252)
// and once per batch:
//   batchSalt                          field element, the tape digest's blinding (src/tape batchSalt
//                                      derives it from the salts)
// Public input:
//   threshold                          < 2^SCORE_BITS (enforced here)
// Public outputs, in this order (snarkjs public signals: outputs, then threshold):
//   tapeDigest     TapeDigest(N + 1) of the tape [activeCount, score[0..N-1]] with blinding
//                  batchSalt (src/tape, docs/tape.md); every tape word is below 2^32 (activeCount
//                  <= N, scores range-checked with SCORE_BITS <= 32), as TapeDigest requires
//   decisionBits   sum_i 2^i * (active[i] AND score[i] <= threshold)
//   activeCount    sum_i active[i]
//   commitments[N] if active[i]: PoseidonEx(1, 1) (the width-2 Poseidon permutation, first output)
//                  with initialState salt[i] and input TAG_COMMITMENT * 2^104 + score[i] * 2^72 +
//                  applicantId[i]; else 0. The packed word is an integer below 2^247 < r (id < 2^72
//                  by the order check, score < 2^32), so it determines id and score. The salt takes
//                  the permutation's other element (no separate zero capacity): the security
//                  argument is in docs/policy.md ("Commitments").
//
// Caller must enforce:
//   - every public signal is a canonical field element (< r): the snarkjs PLONK verifier (JS and
//     Solidity) does not check it, so signal + r would alias signal (docs/policy.md).
//   - template parameters: 1 <= N <= 252 (decisionBits must not wrap; ids stay below 2^72),
//     1 <= SCORE_BITS <= 32 (scores are 32-bit tape words); both asserted at compile time.
//   - applicantIds are 64-bit (1 <= id < 2^64) and each batch is sorted by applicantId: the circuit
//     proves the order above, not the bound of each id (slot i may reach (i + 1) * 2^64); src/policy
//     refuses ids outside [1, 2^64) and unsorted batches, and the planner sorts each batch. The same
//     applicant in two different batches is not prevented here.
//   - the salts and batchSalt must be secret, uniformly random field elements: they make the
//     commitments and tapeDigest hiding (the tape holds the scores).
template PolicyBatch(N, SCORE_BITS) {
    assert(N >= 1 && N <= 252);
    assert(SCORE_BITS >= 1 && SCORE_BITS <= 32);

    signal input applicantId[N];
    signal input score[N];
    signal input salt[N];
    signal input active[N];
    signal input batchSalt;
    signal input threshold;

    signal output tapeDigest;
    signal output decisionBits;
    signal output activeCount;
    signal output commitments[N];

    // threshold < 2^SCORE_BITS: LessEqThan assumes both inputs fit SCORE_BITS bits.
    component thresholdRange = Num2Bits(SCORE_BITS);
    thresholdRange.in <== threshold;

    component idStep[N];
    component scoreRange[N];
    component scoreLeThreshold[N];
    component commitHash[N];
    signal decision[N];
    var bitsAcc = 0;
    var countAcc = 0;

    for (var i = 0; i < N; i++) {
        // active is a bit, and slot i can only be active if slot i-1 is (prefix).
        active[i] * (active[i] - 1) === 0;
        if (i > 0) {
            active[i] * (1 - active[i - 1]) === 0;
        }

        // Inactive slots carry all-zero data, so the tape of a batch is unique.
        (1 - active[i]) * applicantId[i] === 0;
        (1 - active[i]) * score[i] === 0;
        (1 - active[i]) * salt[i] === 0;

        // Active ids are nonzero and strictly increasing, hence pairwise distinct (one applicant
        // cannot get two decisions in a batch). The step id[i] - id[i-1] - 1 (id[0] - 1 for slot 0)
        // of an active slot is in [0, 2^64); inactive slots give 0. Since the previous slot of an
        // active slot is active (prefix), by induction 1 <= id[0] < id[1] < ... as integers, with
        // id[i] <= (i + 1) * 2^64 < r (N <= 252): no wrap around r.
        idStep[i] = Num2Bits(64);
        if (i == 0) {
            idStep[i].in <== active[i] * (applicantId[i] - 1);
        } else {
            idStep[i].in <== active[i] * (applicantId[i] - applicantId[i - 1] - 1);
        }

        // score[i] < 2^SCORE_BITS, then score[i] <= threshold with both inputs range-checked.
        scoreRange[i] = Num2Bits(SCORE_BITS);
        scoreRange[i].in <== score[i];
        scoreLeThreshold[i] = LessEqThan(SCORE_BITS);
        scoreLeThreshold[i].in[0] <== score[i];
        scoreLeThreshold[i].in[1] <== threshold;

        // Denials are proven too: the bit is 0 for an active slot with score > threshold.
        decision[i] <== active[i] * scoreLeThreshold[i].out;
        bitsAcc += decision[i] * (1 << i);
        countAcc += active[i];

        // One width-2 permutation per commitment: the salt as the initial state, tag, score and
        // id packed in the other element (416 PLONK gates against 776 for Poseidon(3)).
        commitHash[i] = PoseidonEx(1, 1);
        commitHash[i].initialState <== salt[i];
        commitHash[i].inputs[0] <== TAG_COMMITMENT() * (1 << 104) + score[i] * (1 << 72) + applicantId[i];
        commitments[i] <== active[i] * commitHash[i].out[0];
    }
    decisionBits <== bitsAcc;
    activeCount <== countAcc;

    // The batch tape (src/tape batchTape): [activeCount, scores], blinded by batchSalt. The scores
    // are the same signals the commitments bind, which is what ties the zkVM's run to the committed data.
    component tape = TapeDigest(N + 1);
    tape.words[0] <== activeCount;
    for (var i = 0; i < N; i++) {
        tape.words[1 + i] <== score[i];
    }
    tape.blinding <== batchSalt;
    tapeDigest <== tape.out;
}
