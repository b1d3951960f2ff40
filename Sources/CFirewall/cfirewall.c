// The only code of natsfault that speaks libiptc: it lays out iptables entries (entry, tcp/udp
// match, DROP or REJECT target) the way the iptables program does, and commits each change alone.
#include "cfirewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(char *error, size_t size, const char *what) {
    snprintf(error, size, "%s: %s", what, iptc_strerror(errno));
}

/// A whole entry in one allocation: ipt_entry, one tcp/udp match, one target.
static struct ipt_entry *build(const cfw_rule *rule, size_t *size_out, char *error, size_t error_size) {
    size_t match_size = XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(rule->protocol == IPPROTO_UDP ? sizeof(struct xt_udp) : sizeof(struct xt_tcp));
    int reject = rule->action != CFW_DROP;
    size_t target_size = reject ? XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(sizeof(struct ipt_reject_info))
                                : XT_ALIGN(sizeof(struct xt_standard_target));
    size_t size = XT_ALIGN(sizeof(struct ipt_entry)) + match_size + target_size;
    struct ipt_entry *e = calloc(1, size);
    if (!e) { snprintf(error, error_size, "out of memory"); return NULL; }

    e->ip.proto = (uint16_t)rule->protocol;
    if (rule->source) {
        if (inet_pton(AF_INET, rule->source, &e->ip.src) != 1) { snprintf(error, error_size, "not an IPv4 address: %s", rule->source); free(e); return NULL; }
        e->ip.smsk.s_addr = 0xFFFFFFFF;
    }
    if (rule->destination) {
        if (inet_pton(AF_INET, rule->destination, &e->ip.dst) != 1) { snprintf(error, error_size, "not an IPv4 address: %s", rule->destination); free(e); return NULL; }
        e->ip.dmsk.s_addr = 0xFFFFFFFF;
    }
    e->target_offset = (uint16_t)(XT_ALIGN(sizeof(struct ipt_entry)) + match_size);
    e->next_offset = (uint16_t)size;

    struct xt_entry_match *match = (struct xt_entry_match *)e->elems;
    match->u.match_size = (uint16_t)match_size;
    strcpy(match->u.user.name, rule->protocol == IPPROTO_UDP ? "udp" : "tcp");
    uint16_t sp_lo = rule->source_port ? (uint16_t)rule->source_port : 0, sp_hi = rule->source_port ? (uint16_t)rule->source_port : 0xFFFF;
    uint16_t dp_lo = rule->destination_port ? (uint16_t)rule->destination_port : 0, dp_hi = rule->destination_port ? (uint16_t)rule->destination_port : 0xFFFF;
    if (rule->protocol == IPPROTO_UDP) {
        struct xt_udp *udp = (struct xt_udp *)match->data;
        udp->spts[0] = sp_lo; udp->spts[1] = sp_hi; udp->dpts[0] = dp_lo; udp->dpts[1] = dp_hi;
    } else {
        struct xt_tcp *tcp = (struct xt_tcp *)match->data;
        tcp->spts[0] = sp_lo; tcp->spts[1] = sp_hi; tcp->dpts[0] = dp_lo; tcp->dpts[1] = dp_hi;
        if (rule->action == CFW_REJECT_TCP_RESET) {
            // A reset rule never answers a reset, so it lets resets through (`! --tcp-flags RST RST`): the resets that
            // an inbound rule sends on the server's behalf then pass the outbound rule of a both-way reject, and the
            // client learns of the reject at once instead of by its pings.
            tcp->flg_mask = 0x04;
            tcp->flg_cmp = 0x04;
            tcp->invflags = XT_TCP_INV_FLAGS;
        }
    }

    struct xt_entry_target *target = (struct xt_entry_target *)((char *)e + e->target_offset);
    target->u.target_size = (uint16_t)target_size;
    if (reject) {
        strcpy(target->u.user.name, "REJECT");
        struct ipt_reject_info *info = (struct ipt_reject_info *)target->data;
        info->with = rule->action == CFW_REJECT_TCP_RESET ? IPT_TCP_RESET : IPT_ICMP_PORT_UNREACHABLE;
    } else {
        strcpy(target->u.user.name, "DROP");
    }
    *size_out = size;
    return e;
}

int cfw_change(const cfw_rule *rules, size_t count, int add, char *error, size_t error_size) {
    struct xtc_handle *h = iptc_init("filter");
    if (!h) { fail(error, error_size, "iptc_init(filter)"); return -1; }
    for (size_t i = 0; i < count; i++) {
        const cfw_rule *rule = &rules[i];
        size_t size = 0;
        struct ipt_entry *e = build(rule, &size, error, error_size);
        if (!e) { iptc_free(h); return -1; }
        int ok;
        if (add) {
            ok = iptc_append_entry(rule->chain, e, h);
        } else {
            unsigned char *mask = malloc(size);
            memset(mask, 0xFF, size);
            ok = iptc_delete_entry(rule->chain, e, mask, h);
            free(mask);
        }
        free(e);
        if (!ok) { fail(error, error_size, add ? "iptc_append_entry" : "iptc_delete_entry"); iptc_free(h); return -1; }
    }
    // One commit: the kernel swaps in the whole new table, so the set of rules applies at once or not at all.
    if (!iptc_commit(h)) { fail(error, error_size, "iptc_commit"); iptc_free(h); return -1; }
    iptc_free(h);
    return 0;
}

int cfw_list(const char *chain, char *out, size_t out_size) {
    struct xtc_handle *h = iptc_init("filter");
    if (!h) { fail(out, out_size, "iptc_init(filter)"); return -1; }
    size_t used = 0;
    int count = 0;
    out[0] = 0;
    for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
        const struct xt_entry_match *m = (const struct xt_entry_match *)e->elems;
        int dpt = 0, spt = 0, passes_rst = 0;
        const char *proto = e->ip.proto == IPPROTO_UDP ? "udp" : e->ip.proto == IPPROTO_TCP ? "tcp" : "any";
        if (e->target_offset > sizeof(struct ipt_entry) && (strcmp(m->u.user.name, "tcp") == 0 || strcmp(m->u.user.name, "udp") == 0)) {
            const struct xt_tcp *tcp = (const struct xt_tcp *)m->data;  // same port layout as xt_udp
            if (tcp->dpts[0] == tcp->dpts[1]) dpt = tcp->dpts[0];
            if (tcp->spts[0] == tcp->spts[1]) spt = tcp->spts[0];
            passes_rst = strcmp(m->u.user.name, "tcp") == 0 && tcp->flg_mask == 0x04 && (tcp->invflags & XT_TCP_INV_FLAGS);
        }
        char src[INET_ADDRSTRLEN] = "-", dst[INET_ADDRSTRLEN] = "-";
        if (e->ip.smsk.s_addr) inet_ntop(AF_INET, &e->ip.src, src, sizeof src);
        if (e->ip.dmsk.s_addr) inet_ntop(AF_INET, &e->ip.dst, dst, sizeof dst);
        const char *target = iptc_get_target(e, h);
        char with[32] = "";
        if (target && strcmp(target, "REJECT") == 0) {
            const struct xt_entry_target *t = (const struct xt_entry_target *)((const char *)e + e->target_offset);
            const struct ipt_reject_info *info = (const struct ipt_reject_info *)t->data;
            snprintf(with, sizeof with, " %s%s", info->with == IPT_TCP_RESET ? "tcp-reset" : "icmp-port-unreachable", passes_rst ? " (not RST)" : "");
        }
        int n = snprintf(out + used, out_size - used, "%s dpt:%d spt:%d src:%s dst:%s -> %s%s\n", proto, dpt, spt, src, dst, target ? target : "?", with);
        if (n < 0 || (size_t)n >= out_size - used) break;
        used += (size_t)n;
        count++;
    }
    iptc_free(h);
    return count;
}
