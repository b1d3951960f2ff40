#ifndef CFIREWALL_H
#define CFIREWALL_H

#include <stddef.h>

/// What a rule does with a matching packet.
typedef enum {
    CFW_DROP = 0,
    CFW_REJECT_TCP_RESET = 1,
    CFW_REJECT_ICMP_PORT_UNREACHABLE = 2,
} cfw_action;

/// One iptables rule in the filter table, as natsfault writes them.
typedef struct {
    /// "INPUT" or "OUTPUT".
    const char *chain;
    /// 6 (TCP) or 17 (UDP).
    int protocol;
    /// Destination port to match, or 0 for any.
    int destination_port;
    /// Source port to match, or 0 for any.
    int source_port;
    /// Dotted IPv4 source address (a /32 match), or NULL for any.
    const char *source;
    /// Dotted IPv4 destination address (a /32 match), or NULL for any.
    const char *destination;
    cfw_action action;
} cfw_rule;

/// Appends (add != 0) or deletes (add == 0) `count` rules, all in one commit (atomically).
/// Returns 0, or -1 with libiptc's own text in `error` (and nothing changed).
int cfw_change(const cfw_rule *rules, size_t count, int add, char *error, size_t error_size);

/// Writes one line per rule of `chain` ("tcp dpt:4222 src:- dst:127.0.0.1 -> DROP") into `out`.
/// Returns the number of rules, or -1 with the reason in `out`.
int cfw_list(const char *chain, char *out, size_t out_size);

#endif
