/*
 * natsbench — client-side benchmark for natsfault, built on libnats (nats.c),
 * the same client library natsfault's default driver uses.
 *
 *   gcc -O2 -o natsbench scripts/bench-tools/natsbench.c -lnats
 *
 *   natsbench throughput --pub-url URL --sub-url URL [--count N] [--size BYTES]
 *                        [--stall-timeout SECONDS] [--subject SUBJ]
 *   natsbench throughput --url URL ...          (publisher and subscriber on URL)
 *   natsbench latency --url URL [--count N] [--size BYTES] [--warmup N]
 *                     [--request-timeout MS] [--no-send-asap] [--subject SUBJ]
 *
 * Prints exactly one JSON line on stdout. Diagnostics go to stderr.
 * Exit status: 0 success; 1 usage, connection or protocol failure (no JSON);
 *              3 throughput run finished but incomplete (JSON printed, "complete":false).
 *
 * See scripts/bench-tools/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("natsbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void check(natsStatus s, const char *what)
{
    if (s != NATS_OK) {
        natsStatus ls;
        const char *detail = nats_GetLastError(&ls);
        die("%s failed: %s%s%s", what, natsStatus_GetText(s),
            detail ? " — " : "", detail ? detail : "");
    }
}

/* ---------- connection-level events (shared by both modes) ---------- */

struct conn_events {
    const char *role;
    atomic_int closed;
    atomic_int disconnected;
    atomic_long async_errors;
    atomic_long slow_consumer_errors;
    atomic_int last_error; /* natsStatus */
};

static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv = PTHREAD_COND_INITIALIZER;

static void wake(void)
{
    pthread_mutex_lock(&wake_mu);
    pthread_cond_broadcast(&wake_cv);
    pthread_mutex_unlock(&wake_mu);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    struct conn_events *ev = closure;
    atomic_store(&ev->closed, 1);
    wake();
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    struct conn_events *ev = closure;
    atomic_store(&ev->disconnected, 1);
    wake();
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    struct conn_events *ev = closure;
    atomic_fetch_add(&ev->async_errors, 1);
    if (err == NATS_SLOW_CONSUMER)
        atomic_fetch_add(&ev->slow_consumer_errors, 1);
    atomic_store(&ev->last_error, (int)err);
}

static natsConnection *connect_to(const char *url, const char *name, struct conn_events *ev,
                                  bool send_asap)
{
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    char what[256];

    ev->role = name;
    check(natsOptions_Create(&opts), "natsOptions_Create");
    check(natsOptions_SetURL(opts, url), "natsOptions_SetURL");
    check(natsOptions_SetName(opts, name), "natsOptions_SetName");
    check(natsOptions_SetTimeout(opts, 5000), "natsOptions_SetTimeout");
    check(natsOptions_SetAllowReconnect(opts, false), "natsOptions_SetAllowReconnect");
    check(natsOptions_SetClosedCB(opts, on_closed, ev), "natsOptions_SetClosedCB");
    check(natsOptions_SetDisconnectedCB(opts, on_disconnected, ev), "natsOptions_SetDisconnectedCB");
    check(natsOptions_SetErrorHandler(opts, on_async_error, ev), "natsOptions_SetErrorHandler");
    if (send_asap)
        check(natsOptions_SetSendAsap(opts, true), "natsOptions_SetSendAsap");
    snprintf(what, sizeof what, "connect %s to %s", name, url);
    check(natsConnection_Connect(&nc, opts), what);
    natsOptions_Destroy(opts);
    return nc;
}

static const char *conn_error_text(natsConnection *nc)
{
    const char *txt = NULL;
    natsStatus s = natsConnection_GetLastError(nc, &txt);
    if (s == NATS_OK)
        return "";
    return txt ? txt : natsStatus_GetText(s);
}

/* Minimal JSON string escaping for error texts. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* ---------- argument parsing ---------- */

struct args {
    const char *mode;
    const char *url, *pub_url, *sub_url, *subject;
    long long count;
    long size;
    long long warmup;
    double stall_timeout_s;
    long request_timeout_ms;
    int send_asap; /* -1 unset, 0 no, 1 yes */
};

static void usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  natsbench throughput (--url URL | --pub-url URL --sub-url URL) [--count N] [--size BYTES]\n"
            "                       [--stall-timeout SECONDS] [--subject SUBJ]\n"
            "  natsbench latency --url URL [--count N] [--size BYTES] [--warmup N]\n"
            "                    [--request-timeout MS] [--no-send-asap] [--subject SUBJ]\n");
    exit(1);
}

static long long parse_int(const char *flag, const char *v, long long min, long long max)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || end == v || x < min || x > max)
        die("%s: expected an integer in [%lld, %lld], got '%s'", flag, min, max, v);
    return x;
}

static struct args parse_args(int argc, char **argv)
{
    struct args a = {0};
    if (argc < 2)
        usage();
    a.mode = argv[1];
    a.count = -1;
    a.size = 128;
    a.warmup = 1000;
    a.stall_timeout_s = 10.0;
    a.request_timeout_ms = 5000;
    a.send_asap = -1;
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--send-asap") || !strcmp(f, "--no-send-asap")) {
            a.send_asap = !strcmp(f, "--send-asap");
            continue;
        }
        if (!strcmp(f, "-h") || !strcmp(f, "--help"))
            usage();
        if (i + 1 >= argc)
            die("%s needs a value", f);
        const char *v = argv[++i];
        if (!strcmp(f, "--url")) a.url = v;
        else if (!strcmp(f, "--pub-url")) a.pub_url = v;
        else if (!strcmp(f, "--sub-url")) a.sub_url = v;
        else if (!strcmp(f, "--subject")) a.subject = v;
        else if (!strcmp(f, "--count")) a.count = parse_int(f, v, 1, 1000000000LL);
        else if (!strcmp(f, "--size")) a.size = (long)parse_int(f, v, 0, 64 * 1024 * 1024);
        else if (!strcmp(f, "--warmup")) a.warmup = parse_int(f, v, 0, 1000000000LL);
        else if (!strcmp(f, "--request-timeout")) a.request_timeout_ms = (long)parse_int(f, v, 1, 3600000);
        else if (!strcmp(f, "--stall-timeout")) {
            char *end;
            a.stall_timeout_s = strtod(v, &end);
            if (*end || end == v || a.stall_timeout_s <= 0)
                die("--stall-timeout: expected a positive number of seconds, got '%s'", v);
        } else
            die("unknown option %s", f);
    }
    return a;
}

static void default_subject(char *buf, size_t n, const char *kind)
{
    snprintf(buf, n, "natsbench.%s.%ld.%" PRId64, kind, (long)getpid(), now_ns());
}

/* ---------- throughput ---------- */

struct tp_state {
    atomic_llong received;
    atomic_llong wrong_size;
    atomic_llong last_arrival_ns;
    long long target;
    int size;
};

static void tp_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    struct tp_state *st = closure;
    if (natsMsg_GetDataLength(msg) != st->size)
        atomic_fetch_add_explicit(&st->wrong_size, 1, memory_order_relaxed);
    natsMsg_Destroy(msg);
    atomic_store_explicit(&st->last_arrival_ns, now_ns(), memory_order_relaxed);
    long long n = atomic_fetch_add_explicit(&st->received, 1, memory_order_release) + 1;
    if (n == st->target)
        wake();
}

static int run_throughput(const struct args *a)
{
    const char *pub_url = a->pub_url ? a->pub_url : a->url;
    const char *sub_url = a->sub_url ? a->sub_url : a->url;
    if (!pub_url || !sub_url)
        die("throughput needs --pub-url and --sub-url (or --url for both)");
    long long count = a->count > 0 ? a->count : 1000000;
    char subj[128];
    if (a->subject)
        snprintf(subj, sizeof subj, "%s", a->subject);
    else
        default_subject(subj, sizeof subj, "tp");

    static struct conn_events sub_ev, pub_ev;
    static struct tp_state st;
    st.target = count;
    st.size = (int)a->size;

    natsConnection *subnc = connect_to(sub_url, "natsbench-sub", &sub_ev, false);
    natsConnection *pubnc = connect_to(pub_url, "natsbench-pub", &pub_ev, false);

    natsSubscription *sub = NULL;
    check(natsConnection_Subscribe(&sub, subnc, subj, tp_on_msg, &st), "subscribe");
    /* Negative limits = unlimited: the library never drops for slow consumer. */
    check(natsSubscription_SetPendingLimits(sub, -1, -1), "natsSubscription_SetPendingLimits");
    /* Round trip on the subscriber connection: the server has registered the SUB. */
    check(natsConnection_FlushTimeout(subnc, 10000), "flush subscriber");

    char *payload = malloc(a->size > 0 ? (size_t)a->size : 1);
    if (!payload)
        die("out of memory");
    for (long i = 0; i < a->size; i++)
        payload[i] = (char)('a' + i % 26);

    const char *error = NULL;
    natsStatus ps = NATS_OK;
    long long published = 0;
    int64_t t0 = now_ns();
    for (; published < count; published++) {
        ps = natsConnection_Publish(pubnc, subj, payload, (int)a->size);
        if (ps != NATS_OK)
            break;
    }
    if (ps == NATS_OK)
        ps = natsConnection_FlushTimeout(pubnc, 60000);
    int64_t t_pub = now_ns();
    if (ps != NATS_OK) {
        fprintf(stderr, "natsbench: publish failed after %lld messages: %s %s\n", published,
                natsStatus_GetText(ps), conn_error_text(pubnc));
        error = "publish failed";
    }

    /* Wait for every message, or until arrivals stall / the subscriber connection dies. */
    long long last_seen = -1;
    int64_t last_progress = now_ns();
    pthread_mutex_lock(&wake_mu);
    for (;;) {
        long long r = atomic_load_explicit(&st.received, memory_order_acquire);
        if (r >= count)
            break;
        if (r != last_seen) {
            last_seen = r;
            last_progress = now_ns();
        }
        if (atomic_load(&sub_ev.closed) || atomic_load(&sub_ev.disconnected)) {
            /* Let the delivery thread drain what was already queued before giving up. */
            if (now_ns() - last_progress > 500000000LL) {
                if (!error) error = "subscriber connection lost";
                break;
            }
        }
        if (now_ns() - last_progress > (int64_t)(a->stall_timeout_s * 1e9)) {
            if (!error) error = "arrivals stalled";
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wake_cv, &wake_mu, &ts);
    }
    pthread_mutex_unlock(&wake_mu);

    long long received = atomic_load(&st.received);
    int64_t t_last = atomic_load(&st.last_arrival_ns);
    int64_t dropped = 0;
    natsStatus ds = natsSubscription_GetDropped(sub, &dropped);
    if (ds != NATS_OK)
        dropped = -1; /* subscription already closed with its connection */
    long long wrong = atomic_load(&st.wrong_size);
    bool sub_lost = atomic_load(&sub_ev.closed) || atomic_load(&sub_ev.disconnected);
    if (!error && (received != count || dropped != 0 || wrong != 0))
        error = "messages lost, dropped or malformed";
    bool complete = error == NULL;

    double seconds = (received > 0 ? (double)(t_last - t0) : (double)(now_ns() - t0)) / 1e9;
    double rate = seconds > 0 ? (double)received / seconds : 0.0;
    char sub_err[512];
    snprintf(sub_err, sizeof sub_err, "%s", sub_lost ? conn_error_text(subnc) : "");

    char dropped_txt[32];
    if (dropped < 0)
        snprintf(dropped_txt, sizeof dropped_txt, "null"); /* unknown: subscription closed */
    else
        snprintf(dropped_txt, sizeof dropped_txt, "%" PRId64, dropped);
    printf("{\"mode\":\"throughput\",\"count\":%lld,\"received\":%lld,\"seconds\":%.6f,"
           "\"msgs_per_s\":%.1f,\"dropped\":%s,\"complete\":%s,\"size\":%ld,"
           "\"published\":%lld,\"publish_seconds\":%.6f,\"wrong_size\":%lld,"
           "\"slow_consumer_errors\":%ld,\"async_errors\":%ld,\"subscriber_connection_lost\":%s",
           count, received, seconds, rate, dropped_txt, complete ? "true" : "false", a->size,
           published, (double)(t_pub - t0) / 1e9, wrong,
           atomic_load(&sub_ev.slow_consumer_errors),
           atomic_load(&sub_ev.async_errors) + atomic_load(&pub_ev.async_errors),
           sub_lost ? "true" : "false");
    if (error) {
        printf(",\"error\":");
        json_str(stdout, error);
        if (sub_err[0]) {
            printf(",\"subscriber_error\":");
            json_str(stdout, sub_err);
        }
    }
    printf("}\n");
    fflush(stdout);
    if (!complete)
        fprintf(stderr, "natsbench: INCOMPLETE throughput run: %s (received %lld of %lld, dropped %" PRId64
                        ") — the rate above is not a valid result\n",
                error, received, count, dropped);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pubnc);
    natsConnection_Destroy(subnc);
    free(payload);
    nats_Close();
    return complete ? 0 : 3;
}

/* ---------- latency ---------- */

static void lat_on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    const char *reply = natsMsg_GetReply(msg);
    if (reply) {
        natsStatus s = natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
        if (s != NATS_OK)
            fprintf(stderr, "natsbench: replier publish failed: %s\n", natsStatus_GetText(s));
    }
    natsMsg_Destroy(msg);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile over sorted samples. */
static double pct_us(const int64_t *sorted, long long n, double q)
{
    long long rank = (long long)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

static int run_latency(const struct args *a)
{
    if (!a->url)
        die("latency needs --url");
    long long count = a->count > 0 ? a->count : 10000;
    long size = a->size < 8 ? 8 : a->size; /* room for a sequence number */
    if (size != a->size)
        fprintf(stderr, "natsbench: latency payload raised to %ld bytes to carry a sequence number\n", size);
    char subj[128];
    if (a->subject)
        snprintf(subj, sizeof subj, "%s", a->subject);
    else
        default_subject(subj, sizeof subj, "lat");

    /* Send-asap is the default here: without it nats.c hands the reply to its flusher thread,
     * which waits 1 ms to batch writes, and every round trip gets a ~1 ms floor that hides
     * the path being measured. Requests are always sent at once by the library. */
    bool send_asap = a->send_asap != 0;
    static struct conn_events rep_ev, req_ev;
    natsConnection *repnc = connect_to(a->url, "natsbench-replier", &rep_ev, send_asap);
    natsConnection *reqnc = connect_to(a->url, "natsbench-requester", &req_ev, send_asap);

    natsSubscription *sub = NULL;
    check(natsConnection_Subscribe(&sub, repnc, subj, lat_on_request, NULL), "subscribe replier");
    check(natsConnection_FlushTimeout(repnc, 10000), "flush replier");

    char *payload = malloc((size_t)size);
    int64_t *samples = malloc((size_t)count * sizeof *samples);
    if (!payload || !samples)
        die("out of memory");
    for (long i = 0; i < size; i++)
        payload[i] = (char)('a' + i % 26);

    long long total = a->warmup + count;
    int64_t t_start = 0;
    for (long long i = 0; i < total; i++) {
        memcpy(payload, &i, sizeof i);
        natsMsg *reply = NULL;
        if (i == a->warmup)
            t_start = now_ns();
        int64_t t1 = now_ns();
        natsStatus s = natsConnection_Request(&reply, reqnc, subj, payload, (int)size, a->request_timeout_ms);
        int64_t t2 = now_ns();
        if (s != NATS_OK)
            die("request %lld of %lld failed: %s %s", i + 1, total, natsStatus_GetText(s),
                conn_error_text(reqnc));
        if (natsMsg_GetDataLength(reply) != size || memcmp(natsMsg_GetData(reply), payload, (size_t)size) != 0)
            die("request %lld: reply does not echo the request payload", i + 1);
        natsMsg_Destroy(reply);
        if (i >= a->warmup)
            samples[i - a->warmup] = t2 - t1;
    }
    double seconds = (double)(now_ns() - t_start) / 1e9;

    qsort(samples, (size_t)count, sizeof *samples, cmp_i64);
    double sum = 0;
    for (long long i = 0; i < count; i++)
        sum += (double)samples[i];

    printf("{\"mode\":\"latency\",\"count\":%lld,\"warmup\":%lld,\"size\":%ld,"
           "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
           "\"min_us\":%.1f,\"mean_us\":%.1f,\"seconds\":%.6f,\"send_asap\":%s}\n",
           count, a->warmup, size, pct_us(samples, count, 0.50), pct_us(samples, count, 0.90),
           pct_us(samples, count, 0.99), (double)samples[count - 1] / 1000.0,
           (double)samples[0] / 1000.0, sum / (double)count / 1000.0, seconds,
           send_asap ? "true" : "false");
    fflush(stdout);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(reqnc);
    natsConnection_Destroy(repnc);
    free(samples);
    free(payload);
    nats_Close();
    return 0;
}

int main(int argc, char **argv)
{
    struct args a = parse_args(argc, argv);
    if (!strcmp(a.mode, "throughput"))
        return run_throughput(&a);
    if (!strcmp(a.mode, "latency"))
        return run_latency(&a);
    usage();
    return 1;
}
