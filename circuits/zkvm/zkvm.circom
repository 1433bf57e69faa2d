pragma circom 2.1.9;

include "../../node_modules/circomlib/circuits/bitify.circom";
include "../../node_modules/circomlib/circuits/poseidon.circom";
include "../lib/sponge.circom";
include "../lib/tags.circom";

// The zkVM of docs/zkvm.md (the normative description; src/zkvm/emulator.ts is the reference).
// Word: op + 2^4 rd + 2^7 rs1 + 2^10 rs2 + 2^13 imm (op 4 bits, registers 3 bits, imm 16 bits).
// Opcodes: 1 HALT, 2 ADD, 3 SUB, 4 MUL, 5 ADDI, 6 LT, 7 LE, 8 EQ, 9 JMP, 10 BEQ, 11 BNE,
//          12 READ, 13 PUB, 14 WRITE, 15 ASSERT. Opcode 0 is not an instruction.

// OneHot(N): sel[i] = 1 iff idx == i, for i in 0..N-1.
// Input: idx. Output: sel[N] (booleans, exactly one set, sum(i * sel[i]) == idx).
// Caller must enforce: nothing; idx outside 0..N-1 makes the constraints unsatisfiable.
template OneHot(N) {
    signal input idx;
    signal output sel[N];
    var count = 0;
    var weighted = 0;
    for (var i = 0; i < N; i++) {
        sel[i] <-- idx == i ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        count += sel[i];
        weighted += i * sel[i];
    }
    count === 1;
    weighted === idx;
}

// MuxTree(B): out = in[sum_l bits[l] * 2^l], by a binary tree (at most 2^B - 1 products; pairs of
// equal constants cost none, so padding with constants is cheap).
// Inputs: in[2^B], bits[B]. Output: out.
// Caller must enforce: bits are booleans (e.g. a Num2Bits output).
template MuxTree(B) {
    var W = 1 << B;
    signal input in[W];
    signal input bits[B];
    signal output out;
    var v[W];
    for (var i = 0; i < W; i++) {
        v[i] = in[i];
    }
    signal pick[W];
    var c = 0;
    for (var l = 0; l < B; l++) {
        for (var j = 0; j < (W >> (l + 1)); j++) {
            pick[c] <== bits[l] * (v[2 * j + 1] - v[2 * j]);
            v[j] = v[2 * j] + pick[c];
            c++;
        }
    }
    out <== v[0];
}

// BitMux(N): out = in[idx], selected by idx's bits through a MuxTree (N - 1 products instead of
// N one-hot bits plus N products). Entries from N up to the next power of two read as 0.
// Inputs: in[N], idx. Output: out.
// Caller must enforce: nothing; idx >= 2^ceil(log2 N) makes the bit decomposition unsatisfiable.
template BitMux(N) {
    var B = 1;
    while ((1 << B) < N) {
        B++;
    }
    signal input in[N];
    signal input idx;
    signal output out;

    component bits = Num2Bits(B);
    bits.in <== idx;
    component tree = MuxTree(B);
    for (var i = 0; i < (1 << B); i++) {
        tree.in[i] <== i < N ? in[i] : 0;
    }
    tree.bits <== bits.out;
    out <== tree.out;
}

// ZkStep(P, K, J): one machine step, fully constrained.
// Inputs: prog[P] (program words), params[K], pc, reg[7] (r1..r7; r0 is the constant 0),
//         tp (tape pointer), jp (journal pointer), tapeHead (the word a READ at this step reads:
//         a hint, which ZkVM's tape fingerprint checks).
// Outputs: pcNext, regNext[7], tpNext, jpNext, isRead, isHalt, readWord (isRead * tapeHead),
//          journalOut[J] (the word written at journal position i by this step, else 0).
// Constraints that make the run invalid: pc not in 0..P-1; the fetched word not a valid
// instruction (opcode by one-hot selectors, register fields by 3-bit and imm by 16-bit
// decompositions, opcode 0 has no selector); LT/LE operand >= 2^32; PUB k with k >= K; WRITE with jp == J;
// ASSERT with reg[rs1] != reg[rs2].
// Caller must enforce: tp <= L and jp <= J on entry (ZkVM starts both at 0 and they only grow by
// the checked READ/WRITE), tapeHead = tape[tp] whenever isRead = 1 (ZkVM's fingerprint), reg are
// r1..r7, K <= 8.
template ZkStep(P, K, J) {
    signal input prog[P];
    signal input params[K];
    signal input pc;
    signal input reg[7];
    signal input tp;
    signal input jp;
    signal input tapeHead;
    signal output pcNext;
    signal output regNext[7];
    signal output tpNext;
    signal output jpNext;
    signal output isRead;
    signal output isHalt;
    signal output readWord;
    signal output journalOut[J];

    // Fetch: pc's bits select the word; a pc past the program fetches 0 (no opcode: unsatisfiable)
    // and a pc of 2^ceil(log2 P) or more has no bit decomposition.
    component fetch = BitMux(P);
    fetch.in <== prog;
    fetch.idx <== pc;
    signal word <== fetch.out;

    // Decode: op one-hot over the 15 valid opcodes (op 0 or op >= 16 cannot satisfy it),
    // register fields in 3 bits, imm in 16 bits; one linear equation ties them to the word.
    signal opSel[16]; // opSel[0] is unused (constrained 0)
    var opCount = 0;
    var opValue = 0;
    opSel[0] <== 0;
    for (var k = 1; k < 16; k++) {
        opSel[k] <-- (word % 16) == k ? 1 : 0;
        opSel[k] * (opSel[k] - 1) === 0;
        opCount += opSel[k];
        opValue += k * opSel[k];
    }
    opCount === 1;
    component rdBits = Num2Bits(3);
    component rs1Bits = Num2Bits(3);
    signal rs2;
    rdBits.in <-- (word \ 16) % 8;
    signal rd <== rdBits.in;
    rs1Bits.in <-- (word \ 128) % 8;
    rs2 <-- (word \ 1024) % 8;
    component immBits = Num2Bits(16);
    immBits.in <-- (word \ 8192) % 65536;
    signal imm <== immBits.in;
    word === opValue + 16 * rd + 128 * rs1Bits.in + 1024 * rs2 + 8192 * imm;

    isHalt <== opSel[1];
    signal isAdd <== opSel[2];
    signal isSub <== opSel[3];
    signal isMul <== opSel[4];
    signal isAddi <== opSel[5];
    signal isLt <== opSel[6];
    signal isLe <== opSel[7];
    signal isEq <== opSel[8];
    signal isJmp <== opSel[9];
    signal isBeq <== opSel[10];
    signal isBne <== opSel[11];
    isRead <== opSel[12];
    signal isPub <== opSel[13];
    signal isWrite <== opSel[14];
    signal isAssert <== opSel[15];

    // Operands a = reg[rs1], b = reg[rs2] (r0 reads 0), by bit trees (7 products each); rs1's bits
    // also select PUB's parameter.
    component aMux = MuxTree(3);
    aMux.in[0] <== 0;
    for (var j = 0; j < 7; j++) {
        aMux.in[j + 1] <== reg[j];
    }
    aMux.bits <== rs1Bits.out;
    signal a <== aMux.out;
    component bMux = BitMux(8);
    bMux.in[0] <== 0;
    for (var j = 0; j < 7; j++) {
        bMux.in[j + 1] <== reg[j];
    }
    bMux.idx <== rs2;
    signal b <== bMux.out;


    // eq = (a == b) (EQ, BEQ, BNE); ASSERT needs a == b.
    signal diffInv <-- (a - b) != 0 ? 1 / (a - b) : 0;
    signal eq <== 1 - (a - b) * diffInv;
    (a - b) * eq === 0;
    isAssert * (a - b) === 0;

    // LT / LE on 32-bit operands. Inputs are gated so other opcodes keep the range checks
    // satisfiable; for LT/LE both operands must be < 2^32 or the run is invalid.
    signal cmpEn <== isLt + isLe;
    signal cmpA <== cmpEn * a;
    signal cmpB <== cmpEn * b;
    component rangeA = Num2Bits(32);
    component rangeB = Num2Bits(32);
    rangeA.in <== cmpA;
    rangeB.in <== cmpB;
    // LE: b - a + 2^32 >= 2^32 iff a <= b; LT: b - a - 1 + 2^32 >= 2^32 iff a < b. In [0, 2^33).
    component cmpBits = Num2Bits(33);
    cmpBits.in <== cmpB - cmpA + cmpEn * 4294967296 - isLt;
    signal cmpResult <== cmpBits.out[32]; // 0 when cmpEn == 0 (the input is 0)

    // PUB rd, k (k in the rs1 field): k < K. The parameter is selected by k's low bits; the
    // indicator "k >= K" is a tree over constants (free for K a power of two: a bit, or nothing).
    var KB = 0;
    while ((1 << KB) < K) {
        KB++;
    }
    signal pubParam;
    if (KB == 0) {
        pubParam <== params[0];
    } else {
        component paramMux = MuxTree(KB);
        for (var k = 0; k < (1 << KB); k++) {
            paramMux.in[k] <== k < K ? params[k] : 0;
        }
        for (var l = 0; l < KB; l++) {
            paramMux.bits[l] <== rs1Bits.out[l];
        }
        pubParam <== paramMux.out;
    }
    if (K < 8) {
        component outside = MuxTree(3);
        for (var k = 0; k < 8; k++) {
            outside.in[k] <== k >= K ? 1 : 0;
        }
        outside.bits <== rs1Bits.out;
        isPub * outside.out === 0;
    }

    // The value written to rd (0 for opcodes that do not write).
    signal addLike <== (isAdd + isSub + isAddi) * a;
    // (isADD - isSUB) * b + isMUL * a * b in two products.
    signal mulA <== isMul * a;
    signal bProduct <== b * (isAdd - isSub + mulA);
    signal addiImm <== isAddi * imm;
    signal eqVal <== isEq * eq;
    readWord <== isRead * tapeHead;
    signal pubVal <== isPub * pubParam;
    signal value <== addLike + bProduct + addiImm + cmpResult + eqVal + readWord + pubVal;
    // writeSel is rd's one-hot when the opcode writes rd, else all 0: booleans summing to writesRd
    // whose weighted sum is writesRd * rd (3 constraints fewer than a one-hot and a gate per register).
    signal writesRd <== isAdd + isSub + isMul + isAddi + isLt + isLe + isEq + isRead + isPub;
    signal writeSel[8];
    var selCount = 0;
    var selWeighted = 0;
    for (var j = 0; j < 8; j++) {
        writeSel[j] <-- writesRd * (rd == j ? 1 : 0);
        writeSel[j] * (writeSel[j] - 1) === 0;
        selCount += writeSel[j];
        selWeighted += j * writeSel[j];
    }
    selCount === writesRd;
    selWeighted === writesRd * rd;
    for (var j = 0; j < 7; j++) {
        regNext[j] <== reg[j] + writeSel[j + 1] * (value - reg[j]); // rd = r0 discards the value
    }

    // Control flow: HALT keeps pc (a self-loop), JMP/taken branch go to imm, else pc + 1.
    // taken = isJMP + isBEQ * eq + isBNE * (1 - eq), with one product.
    signal branchEq <== (isBeq - isBne) * eq;
    signal taken <== isJmp + isBne + branchEq;
    signal jumpDelta <== taken * (imm - pc - 1);
    pcNext <== pc + 1 - isHalt + jumpDelta;

    // READ: tp < L, i.e. isRead * (L - tp) is invertible when isRead = 1.
    tpNext <== tp + isRead;

    // WRITE rs1: journal[jp] = a, jp < J.
    component jpSel = OneHot(J + 1);
    jpSel.idx <== jp;
    isWrite * jpSel.sel[J] === 0;
    signal writtenWord <== isWrite * a;
    for (var i = 0; i < J; i++) {
        journalOut[i] <== jpSel.sel[i] * writtenWord;
    }
    jpNext <== jp + isWrite;
}

// MethodId(P): spongeDigest(TAG_METHOD, prog[0..progLen-1]) (src/hash.ts), for 1 <= progLen <= P,
// with prog[i] == 0 for i >= progLen. The sponge state is taken after ceil(progLen / 15) chunks,
// so the method ID does not depend on P.
// Inputs: progLen, prog[P]. Output: out.
// Caller must enforce: nothing (progLen outside 1..P or a non-zero word past progLen is unsatisfiable).
template MethodId(P) {
    signal input progLen;
    signal input prog[P];
    signal output out;
    var RATE = 15;
    var CHUNKS = (P + RATE - 1) \ RATE;

    component lenSel = OneHot(P + 1); // lenSel.sel[n] = (progLen == n); n = 0 is excluded below
    lenSel.idx <== progLen;
    lenSel.sel[0] === 0;
    var beyond = 0; // sum of lenSel.sel[0..i]: 1 iff progLen <= i, i.e. word i is past the program
    for (var i = 0; i < P; i++) {
        beyond += lenSel.sel[i];
        beyond * prog[i] === 0;
    }

    component init = Poseidon(2);
    init.inputs[0] <== TAG_METHOD();
    init.inputs[1] <== progLen;
    component absorb[CHUNKS];
    signal picked[CHUNKS];
    var result = 0;
    for (var c = 0; c < CHUNKS; c++) {
        absorb[c] = Poseidon(16);
        if (c == 0) {
            absorb[c].inputs[0] <== init.out;
        } else {
            absorb[c].inputs[0] <== absorb[c - 1].out;
        }
        for (var j = 0; j < RATE; j++) {
            if (c * RATE + j < P) {
                absorb[c].inputs[1 + j] <== prog[c * RATE + j];
            } else {
                absorb[c].inputs[1 + j] <== 0;
            }
        }
        // Chunk c is the last one iff progLen in (15c, 15c + 15].
        var isLast = 0;
        for (var n = c * RATE + 1; n <= c * RATE + RATE && n <= P; n++) {
            isLast += lenSel.sel[n];
        }
        picked[c] <== isLast * absorb[c].out;
        result += picked[c];
    }
    out <== result;
}

// ReadsChallenge(T): the fingerprint challenge gamma, a Poseidon sponge over the T + 2 words
//   [methodId, tapeDigest, readWord[0..T-1]]
// from the state TAG_READS: h = TAG_READS; h = Poseidon(16)(h, next 15 words, zero-padded) per chunk.
// T is fixed by the circuit, so the length needs no hashing. Every value a cheating prover could
// pick (the words it claims to READ) is hashed before gamma exists, so it cannot choose them to
// cancel at gamma (Fiat-Shamir inside the circuit).
// Inputs: methodId, tapeDigest, readWord[T]. Output: gamma.
// Caller must enforce: nothing.
template ReadsChallenge(T) {
    signal input methodId;
    signal input tapeDigest;
    signal input readWord[T];
    signal output gamma;

    var RATE = 15;
    var WORDS = T + 2;
    var CHUNKS = (WORDS + RATE - 1) \ RATE;
    component absorb[CHUNKS];
    for (var c = 0; c < CHUNKS; c++) {
        absorb[c] = Poseidon(16);
        absorb[c].inputs[0] <== c == 0 ? TAG_READS() : absorb[c - 1].out;
        for (var j = 0; j < RATE; j++) {
            var idx = c * RATE + j;
            if (idx == 0) {
                absorb[c].inputs[1 + j] <== methodId;
            } else if (idx == 1) {
                absorb[c].inputs[1 + j] <== tapeDigest;
            } else if (idx < WORDS) {
                absorb[c].inputs[1 + j] <== readWord[idx - 2];
            } else {
                absorb[c].inputs[1 + j] <== 0;
            }
        }
    }
    gamma <== absorb[CHUNKS - 1].out;
}

// The tape word at position tp (0 past the tape): witness computation only, never a constraint.
function tapeWordAt(L, tape, tp) {
    var word = 0;
    for (var j = 0; j < L; j++) {
        if (j == tp) {
            word = tape[j];
        }
    }
    return word;
}

// ZkVM(T, P, L, K, J): a run of the program (identified by methodId) on the private tape, for
// exactly T steps, that halts; public signals in this order:
//   methodId, tapeDigest, params[K], journalLen, journal[J]
// Private inputs: progLen (1..P), prog[P] (words past progLen are 0), tape[L] (32-bit words),
//   tapeBlinding (a field element that makes tapeDigest hiding; 0 when it need not hide).
// Guarantees: methodId = spongeDigest(TAG_METHOD, prog[0..progLen-1]); every tape word is below
// 2^32; tapeDigest = TapeDigest(L) of the tape with tapeBlinding; every step is a valid instruction
// executed as in docs/zkvm.md; the words READ are tape[0], tape[1], ... in order (tape fingerprint
// below); the last step executes HALT (halting is a self-loop, so nothing changes after the first
// HALT); journal[i] is the i-th word written and 0 past journalLen.
// Cost: 217 constraints per step plus 41 for hashing its read word, and about 40 per tape word (33
// for its range check, a seventh of a packed digest element, the fingerprint terms); neither
// depends on the other dimension.
// Caller must enforce: public inputs are canonical field elements (< r; the generated verifier
// checks this); T >= 1, 1 <= P, 1 <= K <= 8, J >= 1, L >= 1.
template ZkVM(T, P, L, K, J) {
    signal input methodId;
    signal input tapeDigest;
    signal input params[K];
    signal input journalLen;
    signal input journal[J];
    signal input progLen;
    signal input prog[P];
    signal input tape[L];
    signal input tapeBlinding;

    assert(K >= 1 && K <= 8);
    assert(T >= 1 && P >= 1 && L >= 1 && J >= 1);

    component method = MethodId(P);
    method.progLen <== progLen;
    method.prog <== prog;
    methodId === method.out;

    // Tape words are 32-bit (as RISC Zero's are u32): TapeDigest packs seven per field element,
    // which is injective only for words below 2^32.
    component tapeWordRange[L];
    for (var j = 0; j < L; j++) {
        tapeWordRange[j] = Num2Bits(32);
        tapeWordRange[j].in <== tape[j];
    }
    component digest = TapeDigest(L);
    digest.words <== tape;
    digest.blinding <== tapeBlinding;
    tapeDigest === digest.out;

    // Each step's tapeHead is a hint (the word at the tape pointer); the fingerprint checks the
    // words actually READ. A window of the unread tape per step would cost about L constraints per step.
    component step[T];
    signal head[T];
    var journalAcc[J];
    for (var i = 0; i < J; i++) {
        journalAcc[i] = 0;
    }
    for (var t = 0; t < T; t++) {
        step[t] = ZkStep(P, K, J);
        step[t].prog <== prog;
        step[t].params <== params;
        if (t == 0) {
            step[t].pc <== 0;
            for (var j = 0; j < 7; j++) {
                step[t].reg[j] <== 0;
            }
            step[t].tp <== 0;
            step[t].jp <== 0;
            head[t] <-- tapeWordAt(L, tape, 0);
        } else {
            step[t].pc <== step[t - 1].pcNext;
            step[t].reg <== step[t - 1].regNext;
            step[t].tp <== step[t - 1].tpNext;
            step[t].jp <== step[t - 1].jpNext;
            head[t] <-- tapeWordAt(L, tape, step[t - 1].tpNext);
        }
        step[t].tapeHead <== head[t];
        for (var i = 0; i < J; i++) {
            journalAcc[i] += step[t].journalOut[i];
        }
    }
    step[T - 1].isHalt === 1;
    journalLen === step[T - 1].jpNext;
    for (var i = 0; i < J; i++) {
        journal[i] === journalAcc[i];
    }

    // Tape fingerprint at gamma: sum over READ steps of readWord * gamma^(tape pointer) must equal
    // sum_{j < tpEnd} tape[j] * gamma^j. The READ steps have pointers 0, 1, ..., tpEnd - 1 (each READ
    // advances it by one), so both sides are polynomials in gamma of degree < L that differ iff some
    // word READ differs from the tape word at its position; gamma is a hash of everything the prover
    // chose (ReadsChallenge), so a difference vanishes at gamma with probability at most L / r.
    component challenge = ReadsChallenge(T);
    challenge.methodId <== methodId;
    challenge.tapeDigest <== tapeDigest;
    for (var t = 0; t < T; t++) {
        challenge.readWord[t] <== step[t].readWord;
    }
    signal gamma <== challenge.gamma;

    signal advanceBy[T]; // isRead * (gamma - 1): the pointer power's factor at step t is 1 + advanceBy
    signal pointerPow[T + 1]; // gamma^(tape pointer before step t)
    signal readTerm[T];
    var readSum = 0;
    pointerPow[0] <== 1;
    for (var t = 0; t < T; t++) {
        readTerm[t] <== step[t].readWord * pointerPow[t];
        readSum += readTerm[t];
        advanceBy[t] <== step[t].isRead * (gamma - 1);
        pointerPow[t + 1] <== pointerPow[t] + pointerPow[t] * advanceBy[t];
    }

    // tapeSum = sum_{j < tpEnd} tape[j] * gamma^j; the one-hot also proves tpEnd <= L.
    component tpEnd = OneHot(L + 1);
    tpEnd.idx <== step[T - 1].tpNext;
    signal tapePow[L];
    signal tapeTerm[L];
    signal tapePrefixTerm[L];
    var tapeSum = 0;
    var past = 0; // 1 iff j >= tpEnd
    for (var j = 0; j < L; j++) {
        if (j == 0) {
            tapePow[j] <== 1;
        } else {
            tapePow[j] <== tapePow[j - 1] * gamma;
        }
        tapeTerm[j] <== tape[j] * tapePow[j];
        past += tpEnd.sel[j];
        tapePrefixTerm[j] <== (1 - past) * tapeTerm[j];
        tapeSum += tapePrefixTerm[j];
    }
    readSum === tapeSum;
}
