{
  "targets": [
    {
      "target_name": "span_codec",
      "sources": ["span_codec.c"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-ffp-contract=off"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
