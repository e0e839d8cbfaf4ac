/*
 * bondd's AF_NETLINK socket addon (Node-API, plain C, no dependencies).
 *
 * JavaScript API (see src/netlink/native.ts for the typed wrapper):
 *   open(target, protocol, netnsPath?)    wraps `target`; the socket is created inside the
 *                                         network namespace at netnsPath when given
 *   send(target, buffer) -> bytes         one datagram to the kernel (port id 0)
 *   setsockoptInt(target, level, name, value)
 *   getsockoptInt(target, level, name) -> value
 *   portid(target) -> the port id the kernel assigned at bind()
 *   close(target)                         idempotent; also done when `target` is collected
 *   peerCredentials(fd) -> {pid, uid, gid} of the process at the other end of a Unix socket
 *
 * Received datagrams are delivered by calling target.onDatagram(errno, buffer): errno 0 with a
 * Buffer, or an errno (ENOBUFS when the kernel dropped messages because the receive queue was
 * full) with undefined. The socket stays open after ENOBUFS: the caller resyncs with a dump.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <sys/un.h>

typedef struct {
  int fd;
  int open;            /* fd valid and poll handle active */
  int handle_closed;   /* uv_close() completed (or poll handle never started) */
  int finalized;       /* the wrapped JS object was collected or the env torn down */
  uv_poll_t poll;
  napi_env env;
  napi_ref target;     /* weak: the socket must not keep its JS owner alive */
  napi_async_context async_ctx;
  char *buf;
  size_t buf_size;
} nl_socket;

#define NAPI_OK(call)                                                   \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "nlsock: " #call " failed");          \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char text[200];
  napi_value message, error, errno_value, syscall_value, code_value;
  snprintf(text, sizeof text, "%s failed: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_create_string_utf8(env, "ENETLINK", NAPI_AUTO_LENGTH, &code_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static void release_if_done(nl_socket *s) {
  if (s->handle_closed && s->finalized) {
    free(s->buf);
    free(s);
  }
}

static void on_handle_closed(uv_handle_t *handle) {
  nl_socket *s = handle->data;
  close(s->fd);
  s->fd = -1;
  s->handle_closed = 1;
  release_if_done(s);
}

static void close_socket(napi_env env, nl_socket *s) {
  if (!s->open) return;
  s->open = 0;
  uv_poll_stop(&s->poll);
  napi_async_destroy(env, s->async_ctx);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static void deliver(nl_socket *s, int err, const char *data, size_t len) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value target, method, argv[2], result;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, s->target, &target) != napi_ok || target == NULL) goto out;
  if (napi_get_named_property(env, target, "onDatagram", &method) != napi_ok) goto out;
  napi_create_int32(env, err, &argv[0]);
  if (data) {
    void *copy;
    napi_create_buffer_copy(env, len, data, &copy, &argv[1]);
  } else {
    napi_get_undefined(env, &argv[1]);
  }
  if (napi_make_callback(env, s->async_ctx, target, method, 2, argv, &result) == napi_pending_exception) {
    /* A throwing handler is the application's bug: surface it as an uncaught exception,
     * exactly like any other callback would, instead of swallowing it or aborting. */
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
out:
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events);

/* Delivers every datagram already queued on the socket (at most 64 per call). */
static void read_available(nl_socket *s) {
  for (int budget = 64; budget > 0 && s->open; budget--) {
    struct sockaddr_nl from;
    struct iovec iov = { s->buf, 0 };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    /* Peek with MSG_TRUNC to learn the datagram's full size so nothing is ever cut short. The
     * peek copies nothing (zero-length buffer): MSG_TRUNC makes the kernel return the real
     * length anyway, and the datagram is copied once, by the recvmsg() below. */
    ssize_t size = recvmsg(s->fd, &msg, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (size < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      deliver(s, errno, NULL, 0);
      continue;
    }
    if ((size_t)size > s->buf_size) {
      char *bigger = realloc(s->buf, (size_t)size);
      if (!bigger) { deliver(s, ENOMEM, NULL, 0); return; }
      s->buf = bigger;
      s->buf_size = (size_t)size;
    }
    iov.iov_base = s->buf;
    iov.iov_len = s->buf_size;
    msg.msg_namelen = sizeof from;
    ssize_t got = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      deliver(s, errno, NULL, 0);
      continue;
    }
    /* Only the kernel (port id 0) may talk to us; drop anything a local process sends. */
    if (from.nl_pid == 0) deliver(s, 0, s->buf, (size_t)got);
  }
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  nl_socket *s = handle->data;
  (void)events;
  /* When the kernel drops multicast messages it flags a socket error; epoll reports EPOLLERR,
   * libuv stops the handle and passes a negative status. Start it again; the recvmsg() in
   * read_available() then returns the pending error (ENOBUFS) once and the socket carries on. */
  if (status < 0 && s->open) uv_poll_start(&s->poll, UV_READABLE, on_readable);
  read_available(s);
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  nl_socket *s = data;
  (void)hint;
  close_socket(env, s);
  napi_delete_reference(env, s->target);
  s->finalized = 1;
  release_if_done(s);
}

static nl_socket *unwrap_open(napi_env env, napi_value target) {
  nl_socket *s = NULL;
  if (napi_unwrap(env, target, (void **)&s) != napi_ok || s == NULL || !s->open) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "netlink socket is closed");
    return NULL;
  }
  return s;
}

static int open_in_netns(const char *ns_path, int protocol, int *err_out, const char **where) {
  int previous = -1, wanted = -1, fd = -1;
  if (ns_path[0]) {
    previous = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (previous < 0) { *err_out = errno; *where = "open(/proc/thread-self/ns/net)"; return -1; }
    wanted = open(ns_path, O_RDONLY | O_CLOEXEC);
    if (wanted < 0) { *err_out = errno; *where = "open(netns)"; close(previous); return -1; }
    if (setns(wanted, CLONE_NEWNET) < 0) {
      *err_out = errno; *where = "setns"; close(previous); close(wanted); return -1;
    }
  }
  /* A socket belongs to the namespace it was created in for its whole life, so only this
   * call needs to happen inside the target namespace. */
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) { *err_out = errno; *where = "socket"; }
  if (ns_path[0]) {
    /* Failing to return to our own namespace would leave this thread somewhere unexpected;
     * nothing sane can continue from there. */
    if (setns(previous, CLONE_NEWNET) < 0) abort();
    close(previous);
    close(wanted);
  }
  return fd;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t protocol;
  char ns_path[4096] = "";
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) { napi_throw_type_error(env, NULL, "open(target, protocol[, netnsPath])"); return NULL; }
  NAPI_OK(napi_get_value_int32(env, argv[1], &protocol));
  if (argc > 2) {
    napi_valuetype type;
    napi_typeof(env, argv[2], &type);
    if (type == napi_string) {
      size_t len;
      NAPI_OK(napi_get_value_string_utf8(env, argv[2], ns_path, sizeof ns_path, &len));
    }
  }
  int err = 0;
  const char *where = "";
  int fd = open_in_netns(ns_path, protocol, &err, &where);
  if (fd < 0) return throw_errno(env, where, err);
  struct sockaddr_nl local = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  nl_socket *s = calloc(1, sizeof *s);
  if (!s) { close(fd); return throw_errno(env, "calloc", ENOMEM); }
  s->fd = fd;
  s->env = env;
  s->buf_size = 65536;
  s->buf = malloc(s->buf_size);
  napi_value resource_name;
  uv_loop_t *loop;
  if (!s->buf || napi_create_string_utf8(env, "NetlinkSocket", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_async_init(env, argv[0], resource_name, &s->async_ctx) != napi_ok) {
    close(fd); free(s->buf); free(s);
    return throw_errno(env, "open", ENOMEM);
  }
  if (napi_wrap(env, argv[0], s, finalize_socket, NULL, &s->target) != napi_ok) {
    napi_async_destroy(env, s->async_ctx);
    close(fd); free(s->buf); free(s);
    napi_throw_error(env, NULL, "nlsock: target is already a netlink socket");
    return NULL;
  }
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  s->open = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return NULL;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *data;
  size_t len;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = unwrap_open(env, argv[0]);
  if (!s) return NULL;
  NAPI_OK(napi_get_buffer_info(env, argv[1], &data, &len));
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ssize_t sent;
  do sent = sendto(s->fd, data, len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, "sendto", errno);
  napi_create_int64(env, sent, &result);
  return result;
}

/* rtnetlink handles a request inside sendmsg(): its reply is queued before send() returns.
 * drain(target) reads what is queued now instead of waiting for the next poll phase of the event
 * loop. A closed socket is not an error here (the caller may have closed it meanwhile). */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  nl_socket *s = NULL;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_unwrap(env, argv[0], (void **)&s) == napi_ok && s != NULL && s->open) read_available(s);
  return NULL;
}

static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t level, name, value;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = unwrap_open(env, argv[0]);
  if (!s) return NULL;
  NAPI_OK(napi_get_value_int32(env, argv[1], &level));
  NAPI_OK(napi_get_value_int32(env, argv[2], &name));
  NAPI_OK(napi_get_value_int32(env, argv[3], &value));
  if (setsockopt(s->fd, level, name, &value, sizeof value) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

static napi_value js_getsockopt(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t level, name;
  int value = 0;
  socklen_t len = sizeof value;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = unwrap_open(env, argv[0]);
  if (!s) return NULL;
  NAPI_OK(napi_get_value_int32(env, argv[1], &level));
  NAPI_OK(napi_get_value_int32(env, argv[2], &name));
  if (getsockopt(s->fd, level, name, &value, &len) < 0) return throw_errno(env, "getsockopt", errno);
  napi_create_int32(env, value, &result);
  return result;
}

static napi_value js_portid(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  struct sockaddr_nl local;
  socklen_t len = sizeof local;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = unwrap_open(env, argv[0]);
  if (!s) return NULL;
  if (getsockname(s->fd, (struct sockaddr *)&local, &len) < 0) return throw_errno(env, "getsockname", errno);
  napi_create_uint32(env, local.nl_pid, &result);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  nl_socket *s = NULL;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_unwrap(env, argv[0], (void **)&s) == napi_ok && s) close_socket(env, s);
  return NULL;
}

static napi_value js_peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, pid, uid, gid;
  int32_t fd;
  struct ucred cred;
  socklen_t len = sizeof cred;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  NAPI_OK(napi_get_value_int32(env, argv[0], &fd));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  napi_create_object(env, &result);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, result, "pid", pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  return result;
}

/* unixDatagramSend(path, buffer): one datagram to an AF_UNIX SOCK_DGRAM socket; a path starting
 * with '@' names the abstract namespace. Used for systemd's $NOTIFY_SOCKET (Node has no Unix
 * datagram sockets). */
static napi_value js_unix_datagram_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t path_len;
  void *data;
  size_t len;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  NAPI_OK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len));
  NAPI_OK(napi_get_buffer_info(env, argv[1], &data, &len));
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (path_len == 0 || path_len >= sizeof addr.sun_path) return throw_errno(env, "unixDatagramSend", ENAMETOOLONG);
  memcpy(addr.sun_path, path, path_len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(AF_UNIX)", errno);
  ssize_t sent;
  do sent = sendto(fd, data, len, 0, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len));
  while (sent < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, "sendto(AF_UNIX)", err);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "drain", NULL, js_drain, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setsockoptInt", NULL, js_setsockopt, NULL, NULL, NULL, napi_enumerable, NULL },
    { "getsockoptInt", NULL, js_getsockopt, NULL, NULL, NULL, napi_enumerable, NULL },
    { "portid", NULL, js_portid, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "peerCredentials", NULL, js_peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unixDatagramSend", NULL, js_unix_datagram_send, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}
