// The floor under `keyd rotate` on this machine: the same eight HTTPS requests to the same doubles,
// over the same two TLS connections (OpenSSL 3.0, linked statically as keyd is), with the same
// overlap (the Kubernetes preflight on a thread beside the Vault requests, the Event beside the
// catch-up read), and nothing else: no configuration, no kubeconfig, no audit trail, no JSON
// parser, no retries, no checks of the answers beyond their status. Not a tool anyone should use:
// it only says how fast a rotation could be here, so that bench/compare's ratios can be read
// against it (docs/performance.md). bench/compare compiles it and runs it in go mode.
//   rotate_floor CA_FILE VAULT_PORT VAULT_TOKEN_FILE KUBE_PORT KUBE_TOKEN_FILE NAMESPACE SECRET STATEFULSET KV_PATH
#define _GNU_SOURCE  // strcasestr
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  SSL* ssl;
  int fd;
};

static const char* ca_file;

static void die(const char* what) {
  fprintf(stderr, "rotate_floor: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void read_token(const char* path, char* out, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == NULL || fgets(out, (int)size, f) == NULL) die(path);
  fclose(f);
  out[strcspn(out, "\r\n")] = 0;
}

static struct conn tls_connect(int port) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) die("TLS context");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  struct conn c;
  c.fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c.fd, (struct sockaddr*)&sa, sizeof sa) != 0) die("connect");
  c.ssl = SSL_new(ctx);
  SSL_CTX_free(ctx);  // the SSL keeps its own reference
  SSL_set_fd(c.ssl, c.fd);
  SSL_set1_host(c.ssl, "127.0.0.1");
  if (SSL_connect(c.ssl) != 1) die("TLS handshake");
  return c;
}

// One request on a kept-alive connection; returns the status, the body in `body` (NUL-terminated).
static int request(struct conn* c, const char* method, const char* path, const char* headers, const char* type,
                   const char* payload, char* body, size_t body_size) {
  static __thread char buf[65536];
  size_t len = payload ? strlen(payload) : 0;
  int n = snprintf(buf, sizeof buf, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, path, headers);
  if (payload) n += snprintf(buf + n, sizeof buf - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n", type, len);
  n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n%s", payload ? payload : "");
  if (SSL_write(c->ssl, buf, n) != n) die("write");
  size_t got = 0;
  char* end = NULL;
  while (end == NULL) {
    int r = SSL_read(c->ssl, buf + got, (int)(sizeof buf - 1 - got));
    if (r <= 0) die("read");
    got += (size_t)r;
    buf[got] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  int status = atoi(buf + 9);
  const char* cl = strcasestr(buf, "\r\nContent-Length:");
  size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
  size_t head = (size_t)(end + 4 - buf);
  while (got - head < want) {
    int r = SSL_read(c->ssl, buf + got, (int)(sizeof buf - 1 - got));
    if (r <= 0) die("read body");
    got += (size_t)r;
  }
  size_t copy = want < body_size - 1 ? want : body_size - 1;
  memcpy(body, buf + head, copy);
  body[copy] = 0;
  return status;
}

static int kport, vport;
static char vheader[256], kheader[256], ns[128], secret[128], sts[128], kv_path[256];
static struct conn kube;

static void* preflight(void* arg) {
  (void)arg;
  char body[16384], path[512], payload[512];
  kube = tls_connect(kport);
  snprintf(payload, sizeof payload,
           "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\",\"spec\":{\"namespace\":\"%s\"}}",
           ns);
  if (request(&kube, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", kheader, "application/json",
              payload, body, sizeof body) / 100 != 2)
    die("rules review");
  snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/statefulsets/%s", ns, sts);
  if (request(&kube, "GET", path, kheader, NULL, NULL, body, sizeof body) != 200) die("statefulset read");
  return NULL;
}

static char fingerprint[65];

static void* event(void* arg) {
  struct conn* k = arg;
  char body[16384], path[512], payload[1024];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/events", ns);
  snprintf(payload, sizeof payload,
           "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"generateName\":\"%s.\",\"namespace\":\"%s\"},"
           "\"involvedObject\":{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"%s\",\"namespace\":\"%s\"},"
           "\"reason\":\"SwarmKeyRotated\",\"message\":\"swarm key %s\",\"type\":\"Normal\"}",
           sts, ns, sts, ns, fingerprint);
  if (request(k, "POST", path, kheader, "application/json", payload, body, sizeof body) / 100 != 2) die("event");
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: rotate_floor CA VAULT_PORT VAULT_TOKEN_FILE KUBE_PORT KUBE_TOKEN_FILE NS SECRET STS KV_PATH\n");
    return 2;
  }
  ca_file = argv[1];
  vport = atoi(argv[2]);
  kport = atoi(argv[4]);
  char token[200];
  read_token(argv[3], token, sizeof token);
  snprintf(vheader, sizeof vheader, "X-Vault-Token: %s\r\n", token);
  read_token(argv[5], token, sizeof token);
  snprintf(kheader, sizeof kheader, "Authorization: Bearer %s\r\n", token);
  snprintf(ns, sizeof ns, "%s", argv[6]);
  snprintf(secret, sizeof secret, "%s", argv[7]);
  snprintf(sts, sizeof sts, "%s", argv[8]);
  snprintf(kv_path, sizeof kv_path, "%s", argv[9]);
  OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
  SSL_CTX_free(SSL_CTX_new(TLS_client_method()));  // OpenSSL's one-time fetches, once (as keyd)

  pthread_t pre;
  pthread_create(&pre, NULL, preflight, NULL);

  // The key and its fingerprint.
  unsigned char raw[32], digest[32];
  if (RAND_bytes(raw, sizeof raw) != 1) die("RAND_bytes");
  char key[128] = "/key/swarm/psk/1.0.0/\\n/base16/\\n";
  char hex[65];
  for (int i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  strcat(key, hex);
  EVP_Digest(raw, sizeof raw, digest, NULL, EVP_sha256(), NULL);
  for (int i = 0; i < 32; ++i) snprintf(fingerprint + 2 * i, 3, "%02x", digest[i]);

  char body[65536], path[512], payload[2048];
  struct conn vault = tls_connect(vport);
  snprintf(path, sizeof path, "/v1/secret/metadata/%s", kv_path);
  int st = request(&vault, "GET", path, vheader, NULL, NULL, body, sizeof body);
  int current = 0;
  if (st == 200) {
    const char* cv = strstr(body, "\"current_version\":");
    if (cv) current = atoi(cv + 18);
  } else if (st != 404) {
    die("metadata read");
  }
  snprintf(path, sizeof path, "/v1/secret/data/%s", kv_path);
  snprintf(payload, sizeof payload, "{\"options\":{\"cas\":%d},\"data\":{\"swarm.key\":\"%s\\n\",\"fingerprint\":\"%s\"}}",
           current, key, fingerprint);
  if (request(&vault, "POST", path, vheader, "application/json", payload, body, sizeof body) != 200) die("write");
  pthread_join(pre, NULL);

  // The Secret (created on the first run), then the restart.
  char text[160];
  snprintf(text, sizeof text, "/key/swarm/psk/1.0.0/\n/base16/\n%s\n", hex);
  unsigned char b64[256];
  EVP_EncodeBlock(b64, (const unsigned char*)text, (int)strlen(text));
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/secrets/%s", ns, secret);
  snprintf(payload, sizeof payload, "{\"data\":{\"swarm.key\":\"%s\"}}", b64);
  st = request(&kube, "PATCH", path, kheader, "application/merge-patch+json", payload, body, sizeof body);
  if (st == 404) {
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/secrets", ns);
    snprintf(payload, sizeof payload,
             "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"type\":\"Opaque\",\"data\":{\"swarm.key\":\"%s\"}}",
             secret, ns, b64);
    st = request(&kube, "POST", path, kheader, "application/json", payload, body, sizeof body);
  }
  if (st / 100 != 2) die("secret");
  snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/statefulsets/%s", ns, sts);
  snprintf(payload, sizeof payload,
           "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"example.com/swarm-key-fingerprint\":\"%s\"}}}}}",
           fingerprint);
  if (request(&kube, "PATCH", path, kheader, "application/strategic-merge-patch+json", payload, body, sizeof body) !=
      200)
    die("restart");

  pthread_t ev;
  pthread_create(&ev, NULL, event, &kube);
  snprintf(path, sizeof path, "/v1/secret/metadata/%s", kv_path);
  if (request(&vault, "GET", path, vheader, NULL, NULL, body, sizeof body) != 200) die("catch-up read");
  pthread_join(ev, NULL);
  printf("rotated %s to version %d\n", kv_path, current + 1);
  return 0;
}
