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
 *   natsbench jsstream --url URL --stream NAME --subject SUBJ
 *                     (re)creates a JetStream stream with file storage: deleted first if it exists
 *   natsbench jspublish --url URL --stream NAME --subject SUBJ [--count N] [--size BYTES] [--warmup N]
 *                      [--async WINDOW]
 *                      acknowledged publishes: js_Publish (publish, wait for the ack) N times, or with
 *                      --async, js_PublishAsync with at most WINDOW unacknowledged
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
    const char *stream;
    long long async_window; /* 0: synchronous js_Publish */
};

static void usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  natsbench throughput (--url URL | --pub-url URL --sub-url URL) [--count N] [--size BYTES]\n"
            "                       [--stall-timeout SECONDS] [--subject SUBJ]\n"
            "  natsbench latency --url URL [--count N] [--size BYTES] [--warmup N]\n"
            "                    [--request-timeout MS] [--no-send-asap] [--subject SUBJ]\n"
            "  natsbench jsstream --url URL --stream NAME --subject SUBJ\n"
            "  natsbench jspublish --url URL --stream NAME --subject SUBJ [--count N] [--size BYTES]\n"
            "                      [--warmup N] [--async WINDOW]\n");
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
    a.warmup = -1; /* per mode: 1000 for latency, 200 for jspublish */
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
        else if (!strcmp(f, "--stream")) a.stream = v;
        else if (!strcmp(f, "--async")) a.async_window = parse_int(f, v, 1, 1000000);
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

static int run_latency(const struct args *a_in)
{
    struct args a_copy = *a_in;
    const struct args *a = &a_copy;
    if (a_copy.warmup < 0)
        a_copy.warmup = 1000;
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

/* ---------- JetStream ---------- */

static void check_js(natsStatus s, jsErrCode jerr, const char *what)
{
    if (s != NATS_OK) {
        natsStatus ls;
        const char *detail = nats_GetLastError(&ls);
        die("%s failed: %s (JetStream error %d)%s%s", what, natsStatus_GetText(s), (int)jerr,
            detail ? " — " : "", detail ? detail : "");
    }
}

static int run_jsstream(const struct args *a)
{
    if (!a->url || !a->stream || !a->subject)
        die("jsstream needs --url, --stream and --subject");
    static struct conn_events ev;
    natsConnection *nc = connect_to(a->url, "natsbench-jsstream", &ev, false);
    jsCtx *js = NULL;
    check(natsConnection_JetStream(&js, nc, NULL), "natsConnection_JetStream");
    jsErrCode jerr = 0;
    natsStatus s = js_DeleteStream(js, a->stream, NULL, &jerr);
    bool deleted = s == NATS_OK;
    if (s != NATS_OK && s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
        check_js(s, jerr, "js_DeleteStream");
    jsStreamConfig cfg;
    check(jsStreamConfig_Init(&cfg), "jsStreamConfig_Init");
    const char *subjects[] = {a->subject};
    cfg.Name = a->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo *si = NULL;
    jerr = 0;
    check_js(js_AddStream(&si, js, &cfg, NULL, &jerr), jerr, "js_AddStream");
    printf("{\"mode\":\"jsstream\",\"stream\":");
    json_str(stdout, a->stream);
    printf(",\"subject\":");
    json_str(stdout, a->subject);
    printf(",\"storage\":\"file\",\"replaced\":%s}\n", deleted ? "true" : "false");
    fflush(stdout);
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return 0;
}

/* Asynchronous publishes: each payload carries its index; the ack handler records the latency from the call. */
struct js_async_state {
    int64_t *sent_ns;
    int64_t *samples;
    long long total;   /* warmup + count */
    long long warmup;
    atomic_llong acked;
    atomic_llong failed;
    atomic_llong last_ack_ns;
    atomic_int last_error; /* natsStatus */
    atomic_int last_js_error;
};

static void js_async_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    struct js_async_state *st = closure;
    int64_t t = now_ns();
    long long i = -1;
    if (natsMsg_GetDataLength(msg) >= (int)sizeof i)
        memcpy(&i, natsMsg_GetData(msg), sizeof i);
    if (pa != NULL && pae == NULL) {
        if (i >= st->warmup && i < st->total)
            st->samples[i - st->warmup] = t - st->sent_ns[i];
        atomic_fetch_add(&st->acked, 1);
    } else {
        atomic_fetch_add(&st->failed, 1);
        if (pae != NULL) {
            atomic_store(&st->last_error, (int)pae->Err);
            atomic_store(&st->last_js_error, (int)pae->ErrCode);
        }
    }
    atomic_store(&st->last_ack_ns, t);
    natsMsg_Destroy(msg);
}

static int run_jspublish(const struct args *a)
{
    if (!a->url || !a->stream || !a->subject)
        die("jspublish needs --url, --stream and --subject");
    long long count = a->count > 0 ? a->count : 10000;
    long long warmup = a->warmup >= 0 ? a->warmup : 200;
    long size = a->size < 8 ? 8 : a->size; /* room for the message's index */
    if (size != a->size)
        fprintf(stderr, "natsbench: jspublish payload raised to %ld bytes to carry an index\n", size);
    long long total = warmup + count;

    static struct conn_events ev;
    natsConnection *nc = connect_to(a->url, "natsbench-jspublish", &ev, false);
    static struct js_async_state st;
    jsOptions jo;
    check(jsOptions_Init(&jo), "jsOptions_Init");
    jo.Wait = 10000;
    if (a->async_window > 0) {
        jo.PublishAsync.MaxPending = a->async_window;
        jo.PublishAsync.AckHandler = js_async_ack;
        jo.PublishAsync.AckHandlerClosure = &st;
        jo.PublishAsync.StallWait = 10000;
    }
    jsCtx *js = NULL;
    check(natsConnection_JetStream(&js, nc, &jo), "natsConnection_JetStream");

    char *payload = malloc((size_t)size);
    int64_t *samples = malloc((size_t)count * sizeof *samples);
    int64_t *sent_ns = a->async_window > 0 ? malloc((size_t)total * sizeof *sent_ns) : NULL;
    if (!payload || !samples || (a->async_window > 0 && !sent_ns))
        die("out of memory");
    for (long i = 0; i < size; i++)
        payload[i] = (char)('a' + i % 26);

    uint64_t last_seq = 0;
    long long out_of_order = 0;
    int64_t t_start = 0, t_end = 0;
    if (a->async_window == 0) {
        for (long long i = 0; i < total; i++) {
            memcpy(payload, &i, sizeof i);
            if (i == warmup)
                t_start = now_ns();
            jsPubAck *pa = NULL;
            jsErrCode jerr = 0;
            int64_t t1 = now_ns();
            natsStatus s = js_Publish(&pa, js, a->subject, payload, (int)size, NULL, &jerr);
            int64_t t2 = now_ns();
            if (s != NATS_OK)
                die("js_Publish %lld of %lld failed: %s (JetStream error %d) %s", i + 1, total,
                    natsStatus_GetText(s), (int)jerr, conn_error_text(nc));
            if (pa->Sequence <= last_seq)
                out_of_order++;
            last_seq = pa->Sequence;
            jsPubAck_Destroy(pa);
            if (i >= warmup)
                samples[i - warmup] = t2 - t1;
        }
        t_end = now_ns();
    } else {
        st.sent_ns = sent_ns;
        st.samples = samples;
        st.total = total;
        st.warmup = warmup;
        for (long long i = 0; i < total; i++) {
            memcpy(payload, &i, sizeof i);
            if (i == warmup) {
                /* The warm-up's acks first, so that the timed part starts with an empty window. */
                jsPubOptions po;
                jsPubOptions_Init(&po);
                po.MaxWait = 60000;
                check(js_PublishAsyncComplete(js, &po), "js_PublishAsyncComplete (warm-up)");
                t_start = now_ns();
            }
            sent_ns[i] = now_ns();
            natsStatus s = js_PublishAsync(js, a->subject, payload, (int)size, NULL);
            if (s != NATS_OK)
                die("js_PublishAsync %lld of %lld failed: %s %s", i + 1, total, natsStatus_GetText(s),
                    conn_error_text(nc));
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 60000;
        check(js_PublishAsyncComplete(js, &po), "js_PublishAsyncComplete");
        t_end = atomic_load(&st.last_ack_ns);
        if (atomic_load(&st.failed) > 0)
            die("%lld asynchronous publishes failed (last: %s, JetStream error %d)", (long long)atomic_load(&st.failed),
                natsStatus_GetText((natsStatus)atomic_load(&st.last_error)), atomic_load(&st.last_js_error));
        if (atomic_load(&st.acked) != total)
            die("%lld of %lld asynchronous publishes acknowledged", (long long)atomic_load(&st.acked), total);
    }
    double seconds = (double)(t_end - t_start) / 1e9;

    qsort(samples, (size_t)count, sizeof *samples, cmp_i64);
    double sum = 0;
    for (long long i = 0; i < count; i++)
        sum += (double)samples[i];
    printf("{\"mode\":\"jspublish\",\"async_window\":%lld,\"count\":%lld,\"warmup\":%lld,\"size\":%ld,"
           "\"seconds\":%.6f,\"msgs_per_s\":%.1f,"
           "\"ack_p50_us\":%.1f,\"ack_p90_us\":%.1f,\"ack_p99_us\":%.1f,\"ack_max_us\":%.1f,"
           "\"ack_min_us\":%.1f,\"ack_mean_us\":%.1f,\"out_of_order_acks\":%lld,\"stream\":",
           a->async_window, count, warmup, size, seconds, seconds > 0 ? (double)count / seconds : 0.0,
           pct_us(samples, count, 0.50), pct_us(samples, count, 0.90), pct_us(samples, count, 0.99),
           (double)samples[count - 1] / 1000.0, (double)samples[0] / 1000.0, sum / (double)count / 1000.0,
           out_of_order);
    json_str(stdout, a->stream);
    printf("}\n");
    fflush(stdout);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(sent_ns);
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
    if (!strcmp(a.mode, "jsstream"))
        return run_jsstream(&a);
    if (!strcmp(a.mode, "jspublish"))
        return run_jspublish(&a);
    usage();
    return 1;
}
