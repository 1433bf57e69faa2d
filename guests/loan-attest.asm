; loan-attest: re-evaluates the loan policy over the batch tape and journals the decisions.
;
; Tape (src/tape, batch size N): [activeCount, score[0..N-1]] (32-bit words; the digest's blinding,
;       batchSalt, is not on the tape)
; Params: 0 domain, 1 prevStateRoot, 2 nonce, 3 threshold. The guest reads only the threshold; the
;         other three are public inputs of the proof, so the proof is bound to the exact anchor
;         state it extends.
; Journal: [decisionBits, activeCount], bit i of decisionBits = 1 iff slot i is active and
;          score_i <= threshold (LE: both < 2^32 or the run is invalid, as in the policy circuit).
; Steps: 7 * activeCount + 7. A zkVM with T = 7N + 7 steps therefore also rejects
;        activeCount > N (the run cannot halt in time); the policy proof checks it as well.
;
; r1 activeCount   r2 slot index i   r3 mask = 2^i   r4 decisionBits   r5 threshold   r6 scratch

        PUB   r5, 3             ; threshold
        READ  r1                ; activeCount
        LI    r3, 1             ; mask = 1
        BEQ   r1, r0, done      ; no active slot
loop:   READ  r6                ; score_i (scores follow activeCount on the tape)
        LE    r6, r6, r5        ; approve iff score_i <= threshold
        MUL   r6, r6, r3        ; decision bit at position i
        ADD   r4, r4, r6
        ADD   r3, r3, r3        ; mask <<= 1
        ADDI  r2, r2, 1         ; i += 1
        BNE   r2, r1, loop      ; until every active slot is read
done:   WRITE r4                ; journal[0] = decisionBits
        WRITE r1                ; journal[1] = activeCount
        HALT
