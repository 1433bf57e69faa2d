pragma circom 2.1.9;

// Domain tags: ASCII strings as field elements. Must equal src/tags.ts (test/tags.test.ts checks).
function TAG_TAPE() { return 37887038069164596336031331891; }                         // "zkla.tape.v3"
function TAG_COMMITMENT() { return 10664253158152499470253827161379117856618035; }     // "zkla.commitment.v3"
function TAG_METHOD() { return 2482964926900642147629486863971889; }                  // "zkla.method.v1"
function TAG_READS() { return 9699081745705993656240035493425; }                        // "zkla.reads.v1"
