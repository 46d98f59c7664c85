{
  "targets": [{
    "target_name": "r3an_native",
    "sources": ["adam.c"],
    "cflags": ["-O3", "-std=c11", "-fno-math-errno"]
  }]
}
