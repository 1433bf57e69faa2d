{
  "targets": [
    {
      "target_name": "poseidon",
      "sources": ["addon.c", "poseidon.c", "keccak.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "cflags!": ["-O2", "-O0"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"] }
    }
  ]
}
