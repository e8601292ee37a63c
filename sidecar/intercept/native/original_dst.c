// originalDst(fd): the destination a TCP connection had before the nat table's
// REDIRECT rewrote it, read from conntrack with SO_ORIGINAL_DST (IPv4) or
// IP6T_SO_ORIGINAL_DST (IPv6). Plain C against Node-API, so it builds offline
// against the headers in .tools/include/node and keeps working across Node majors.
//
// Returns { address, port, family: 'IPv4' | 'IPv6' }; throws an Error whose
// `code` is the errno name (ENOENT: conntrack has no entry for this socket,
// ENOPROTOOPT: the kernel has no conntrack for this family, EBADF/ENOTSOCK: bad fd).

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

// Both come from kernel uapi headers that not every libc ships; the numbers are ABI.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static const char *errno_code(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EINVAL: return "EINVAL";
    case ENOTCONN: return "ENOTCONN";
    case EPERM: return "EPERM";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_value code, msg, error, errno_value;
  char text[160];
  snprintf(text, sizeof text, "%s failed: %s", syscall, strerror(err));
  napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

static napi_value make_result(napi_env env, const char *address, unsigned port, const char *family) {
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "address", value);
  napi_create_uint32(env, port, &value);
  napi_set_named_property(env, result, "port", value);
  napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "family", value);
  return result;
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EINVAL", "originalDst(fd): fd must be a non-negative integer");
    return NULL;
  }

  // The socket's own family decides the option. An IPv4 connection accepted on a
  // dual-stack (::) listener has an IPv4-mapped local address, and its conntrack
  // entry is IPv4: ask with the IPv4 option (the kernel routes SOL_IP on an
  // AF_INET6 socket to the IPv4 code).
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, "getsockname", errno);
  int ipv4 = local.ss_family == AF_INET ||
             (local.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&local)->sin6_addr));

  char text[INET6_ADDRSTRLEN];
  if (ipv4) {
    struct sockaddr_in dst;
    socklen_t dlen = sizeof dst;
    memset(&dst, 0, sizeof dst);
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &dlen) != 0)
      return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", errno);
    if (inet_ntop(AF_INET, &dst.sin_addr, text, sizeof text) == NULL) return throw_errno(env, "inet_ntop", errno);
    return make_result(env, text, ntohs(dst.sin_port), "IPv4");
  }
  if (local.ss_family != AF_INET6) return throw_errno(env, "originalDst", EINVAL);
  struct sockaddr_in6 dst6;
  socklen_t dlen6 = sizeof dst6;
  memset(&dst6, 0, sizeof dst6);
  if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst6, &dlen6) != 0)
    return throw_errno(env, "getsockopt(IP6T_SO_ORIGINAL_DST)", errno);
  if (inet_ntop(AF_INET6, &dst6.sin6_addr, text, sizeof text) == NULL) return throw_errno(env, "inet_ntop", errno);
  return make_result(env, text, ntohs(dst6.sin6_port), "IPv6");
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
