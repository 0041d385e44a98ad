{
  "targets": [
    {
      "target_name": "meshward_native",
      "sources": [
        "src/addon.cc",
        "src/proc-connector.cc",
        "src/fanotify.cc",
        "src/packet-ring.cc",
        "src/nfqueue.cc",
        "src/netns.cc",
        "src/exec-paths.cc",
        "src/unix-diag.cc",
        "src/mount-ns.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
