pragma circom 2.1.9;

// PublicSignalsProbe(K): benchmark-only circuit (bench/policy.ts) with K public inputs and one
// public output, i.e. K + 1 public signals, and almost no gates. Its snarkjs PLONK verifier has
// the same code as the policy verifier's except for the public-signal count and domain constants,
// so it measures the verifier's gas per public signal without a large powers of tau.
// Inputs: in[K] (public). Output: out = sum of in[k]^2. Caller must enforce: nothing (not a policy).
template PublicSignalsProbe(K) {
    signal input in[K];
    signal output out;
    signal sq[K];
    var acc = 0;
    for (var k = 0; k < K; k++) {
        sq[k] <== in[k] * in[k];
        acc += sq[k];
    }
    out <== acc;
}
