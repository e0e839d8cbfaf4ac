{
  "targets": [
    {
      "target_name": "nlsock",
      "sources": ["src/netlink/nlsock.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
